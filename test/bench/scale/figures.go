package main

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/kurator-go/kurator/internal/localfleet"
	"github.com/kurator-go/kurator/test/bench/measure"
)

// figures prints the footprint with every workload in place: memory and
// CPU of the manager, the hub apiserver and etcd, etcd's size and the
// hub's objects.
func (b *bench) figures(ctx context.Context) {
	w := len(b.m.Workloads)
	fmt.Printf("\n== footprint with %d clusters and %d workloads in place\n", len(b.m.Clusters), w)
	var work phase
	for _, p := range b.acct.phases {
		if p.name == "workloads" {
			work = p
		}
	}
	now := b.acct.take(ctx)
	for _, proc := range []struct{ name, what string }{
		{localfleet.ManagerProcess(1), "manager"},
		{localfleet.HubName + "/kube-apiserver", "hub apiserver"},
		{"etcd", "etcd"},
		{localfleet.HubName + "/kube-controller-manager", "hub controller-manager"},
	} {
		p, ok := b.st.Process(proc.name)
		if !ok {
			continue
		}
		g := groupOf[proc.name]
		phaseCPU := work.to.cpu[g] - work.from.cpu[g]
		fmt.Printf("  %-22s RSS %8s (peak %8s), CPU %6.1fs since start, %6.1fs in the workloads phase (%.1f ms per workload)\n",
			proc.what, measure.MiB(measure.RSSBytes(p.PID)), measure.MiB(measure.PeakRSSBytes(p.PID)),
			now.cpu[g].Seconds(), phaseCPU.Seconds(), 1000*phaseCPU.Seconds()/float64(max(w, 1)))
	}
	fmt.Printf("  %-22s RSS %8s (peak %8s): the simulated clusters, the bench's clients and its watches of every binding, Work and template\n",
		"bench process", measure.MiB(measure.RSSBytes(os.Getpid())), measure.MiB(measure.PeakRSSBytes(os.Getpid())))
	if rss := measure.RSSBytes(b.managerPID()); rss > 2<<30 {
		fmt.Printf("  manager RSS %s is above the 2 GiB target\n", measure.MiB(rss))
	}

	if p, ok := b.st.Process("etcd"); ok {
		if fams, err := measure.Families(ctx, fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Port), nil); err == nil {
			fmt.Printf("  etcd database: %s (%s in use); data directory %s\n",
				measure.MiB(int64(measure.Sum(fams, "etcd_mvcc_db_total_size_in_bytes", nil))),
				measure.MiB(int64(measure.Sum(fams, "etcd_mvcc_db_total_size_in_use_in_bytes", nil))),
				measure.MiB(dirSize(filepath.Join(b.st.StateDir, "etcd"))))
		} else {
			fmt.Printf("  etcd metrics: %v\n", err)
		}
	}
	if fams, err := b.hubFamilies(ctx); err == nil {
		type obj struct {
			resource string
			n        float64
		}
		var objs []obj
		var total float64
		// Renamed in Kubernetes 1.31; either may be there.
		name := "apiserver_resource_objects"
		if _, ok := fams[name]; !ok {
			name = "apiserver_storage_objects"
		}
		for _, m := range fams[name].GetMetric() {
			n := measure.Value(m)
			total += n
			if n > 0 {
				objs = append(objs, obj{measure.Label(m, "resource"), n})
			}
		}
		slices.SortFunc(objs, func(a, b obj) int { return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.resource, b.resource)) })
		fmt.Printf("  hub objects: %.0f in all;", total)
		for i, o := range objs {
			if i == 8 {
				break
			}
			fmt.Printf(" %s %.0f,", o.resource, o.n)
		}
		fmt.Println()
	}
	s := b.sim.Stats()
	fmt.Printf("  simulated clusters hold %d objects; %d watches open\n", b.simObjects(), s.WatchesOpen)
}

func (b *bench) simObjects() int {
	n := 0
	for _, c := range b.m.Clusters {
		n += b.sim.Objects(c.Name)
	}
	return n
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
