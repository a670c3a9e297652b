package application

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	clusterv1alpha1 "github.com/kurator-go/kurator/api/cluster/v1alpha1"
	policyv1alpha1 "github.com/kurator-go/kurator/api/policy/v1alpha1"
	"github.com/kurator-go/kurator/internal/imagesync"
	pkgapphub "github.com/kurator-go/kurator/pkg/apphub"
	"github.com/kurator-go/kurator/pkg/overrides"
)

// retryFailedCopy is how long a failed copy waits before it is tried again.
const retryFailedCopy = 20 * time.Second

// syncer copies images to cluster registries in the background, one copy
// per (image, registry) however many Applications and clusters want it,
// and keeps each copy's progress for status.
type syncer struct {
	mu   sync.Mutex
	jobs map[string]*syncJob
}

type syncJob struct {
	st       appsv1alpha1.ImageSyncStatus
	running  bool
	finished time.Time
}

// imageSource is where a package's image is copied from: the reference as
// the objects name it, qualified with AppHub's registry when it names no
// registry, pinned to the digest recorded at push when there is one.
func imageSource(ref, digest string, hub hubRegistry) string {
	if hub.host != "" {
		if in, ok := pkgapphub.InAppHub(ref, hub.host); ok {
			ref = in
		}
	}
	if digest == "" {
		return ref
	}
	img := overrides.ParseImage(ref)
	img.Tag, img.Digest = "", digest
	return img.String()
}

// imageTarget is the copy of src in a cluster's registry, by digest: the
// registry host (and its path prefix) then the source's repository.
func imageTarget(src, digest, registry string) string {
	img := overrides.ParseImage(src)
	repo := strings.TrimPrefix(img.Repository, "library/")
	return strings.TrimSuffix(registry, "/") + "/" + repo + "@" + digest
}

// ensure returns the state of copying src to reg, starting (or, after a
// failure, restarting) the copy when needed.
func (s *syncer) ensure(src string, srcInsecure bool, reg clusterv1alpha1.Registry) appsv1alpha1.ImageSyncStatus {
	key := src + " -> " + reg.Host
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[key]
	if j == nil || !j.running && (j.st.Phase == appsv1alpha1.ImageFailed || j.st.Phase == appsv1alpha1.ImageSkipped) && time.Since(j.finished) > retryFailedCopy {
		j = &syncJob{st: appsv1alpha1.ImageSyncStatus{Source: src, Phase: appsv1alpha1.ImagePending}, running: true}
		s.jobs[key] = j
		go s.copy(j, src, srcInsecure, reg)
	}
	return j.st
}

func (s *syncer) copy(j *syncJob, src string, srcInsecure bool, reg clusterv1alpha1.Registry) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	set := func(f func(st *appsv1alpha1.ImageSyncStatus)) {
		s.mu.Lock()
		f(&j.st)
		s.mu.Unlock()
	}
	fail := func(err error) {
		set(func(st *appsv1alpha1.ImageSyncStatus) {
			st.Phase = appsv1alpha1.ImageFailed
			st.Message = err.Error()
		})
		s.finish(j)
	}
	img := overrides.ParseImage(src)
	digest := img.Digest
	if digest == "" {
		d, err := imagesync.Resolve(ctx, src, srcInsecure)
		if errors.Is(err, imagesync.ErrNotFound) {
			// Not uploaded to AppHub: the cluster pulls it as named.
			set(func(st *appsv1alpha1.ImageSyncStatus) {
				st.Phase, st.Message = appsv1alpha1.ImageSkipped, "not in AppHub's registry; left as the objects name it (push it with kurator app push --image to sync it)"
			})
			s.finish(j)
			return
		}
		if err != nil {
			fail(err)
			return
		}
		digest = d
	}
	dst := imageTarget(src, digest, reg.Host)
	set(func(st *appsv1alpha1.ImageSyncStatus) { st.Phase, st.Target = appsv1alpha1.ImageCopying, dst })
	res, err := imagesync.Copy(ctx, src, dst, imagesync.Options{InsecureSrc: srcInsecure, InsecureDst: reg.Insecure, DstOwner: "the cluster's spec.registry.host (or its Fleet's)",
		Progress: func(p imagesync.Progress) {
			set(func(st *appsv1alpha1.ImageSyncStatus) { st.Bytes, st.TotalBytes = p.Done, p.Total })
		}})
	if err != nil {
		fail(err)
		return
	}
	set(func(st *appsv1alpha1.ImageSyncStatus) {
		st.Phase, st.Digest, st.Message = appsv1alpha1.ImageSynced, res.Digest, ""
		if res.Skipped {
			st.Message = "already in the registry"
		}
		if st.TotalBytes == 0 {
			st.TotalBytes = res.Bytes
		}
		st.Bytes = st.TotalBytes
	})
	s.finish(j)
}

func (s *syncer) finish(j *syncJob) {
	s.mu.Lock()
	j.running, j.finished = false, time.Now()
	s.mu.Unlock()
}

// imageRewrite is an override "policy" pointing a cluster's containers at
// the copies in its registry: for each container whose image was synced,
// a plaintext replace of its image. nil when nothing changes.
func imageRewrite(obj *unstructured.Unstructured, cluster string, targets map[string]string) *overrides.Selected {
	var ops []policyv1alpha1.PlaintextOverrider
	for _, c := range pkgapphub.ContainerImages(obj) {
		t, ok := targets[c.Image]
		if !ok || t == c.Image {
			continue
		}
		v, _ := json.Marshal(t)
		ops = append(ops, policyv1alpha1.PlaintextOverrider{Path: c.Path, Operator: policyv1alpha1.OverriderOpReplace, Value: apiextensionsv1.JSON{Raw: v}})
	}
	if len(ops) == 0 {
		return nil
	}
	spec := &policyv1alpha1.OverrideSpec{OverrideRules: []policyv1alpha1.RuleWithCluster{{
		TargetCluster: &policyv1alpha1.ClusterAffinity{ClusterNames: []string{cluster}},
		Overriders:    policyv1alpha1.Overriders{Plaintext: ops},
	}}}
	return &overrides.Selected{Kind: "ImageSync", Name: cluster, Spec: spec}
}
