package simfleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

// serveWrite handles create, update, patch, apply and delete.
func (f *Fleet) serveWrite(w http.ResponseWriter, r *http.Request, c *cluster, req apiRequest, q url.Values, body []byte) {
	dryRun := len(q["dryRun"]) > 0
	gr := schema.GroupResource{Group: req.res.group, Resource: req.res.name}
	ct := mediaType(r.Header.Get("Content-Type"))
	if req.verb == verbDelete {
		f.serveDelete(w, c, req, body, dryRun)
		return
	}
	switch {
	case req.verb == verbApply:
	case req.verb == verbPatch && (ct == "application/merge-patch+json" || ct == "application/strategic-merge-patch+json"):
	case req.verb == verbPatch:
		writeStatusErr(w, unsupportedMedia(ct, "simfleet takes merge-patch+json, strategic-merge-patch+json (applied as a merge patch) and apply-patch+yaml"))
		return
	case ct == "" || ct == "application/json" || ct == "application/yaml":
	default:
		writeStatusErr(w, unsupportedMedia(ct, "simfleet takes application/json and application/yaml"))
		return
	}
	if req.verb == verbApply && q.Get("fieldManager") == "" {
		writeStatusErr(w, apierrors.NewBadRequest("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"))
		return
	}
	m, err := decodeBody(body)
	if err != nil {
		writeStatusErr(w, apierrors.NewBadRequest(fmt.Sprintf("decode the request body: %v", err)))
		return
	}
	if req.verb != verbPatch {
		if err := checkBody(req, m); err != nil {
			writeStatusErr(w, err)
			return
		}
	}

	c.mu.Lock()
	var existing *object
	if req.name != "" {
		existing = c.objects[req.res.idx][objectKey(req.namespace, req.name)]
	}
	var old map[string]any // existing, decoded: compared with, never changed
	if existing != nil {
		old = decodeRaw(existing.raw)
	}
	var next map[string]any
	switch req.verb {
	case verbCreate:
		switch {
		case existing != nil || c.objects[req.res.idx][objectKey(req.namespace, nameOf(m))] != nil:
			err = apierrors.NewAlreadyExists(gr, nameOf(m))
		case req.res.namespaced && c.objects[namespacesRes.idx][req.namespace] == nil:
			err = apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, req.namespace)
		default:
			if req.res.hasStatus {
				delete(m, "status")
			}
			next = m
		}
	case verbApply:
		switch {
		case existing != nil:
			next = ssaMerge(decodeRaw(existing.raw), m)
		case req.res.namespaced && c.objects[namespacesRes.idx][req.namespace] == nil:
			err = apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, req.namespace)
		default:
			delete(m, "status")
			next = m
		}
	case verbUpdate:
		switch {
		case existing == nil:
			err = apierrors.NewNotFound(gr, req.name)
		case rvOf(m) != "" && rvOf(m) != strconv.FormatUint(existing.rv, 10):
			err = apierrors.NewConflict(gr, req.name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
		case req.sub == "status":
			next = withStatus(decodeRaw(existing.raw), m["status"])
		case req.res.hasStatus:
			next = withStatus(m, old["status"])
		default:
			next = m
		}
	case verbPatch:
		switch {
		case existing == nil:
			err = apierrors.NewNotFound(gr, req.name)
		default:
			patched, _ := mergePatch(decodeRaw(existing.raw), m).(map[string]any)
			if patched == nil {
				err = apierrors.NewBadRequest("the patch does not leave an object")
				break
			}
			if cerr := checkBody(req, patched); cerr != nil {
				err = cerr
				break
			}
			switch {
			case req.sub == "status":
				next = withStatus(decodeRaw(existing.raw), patched["status"])
			case req.res.hasStatus:
				next = withStatus(patched, old["status"])
			default:
				next = patched
			}
		}
	}
	var res writeResult
	if err == nil {
		res, err = f.commit(c, req, existing, old, next, dryRun)
	}
	c.mu.Unlock()
	if err != nil {
		writeStatusErr(w, err)
		return
	}
	if req.verb == verbApply {
		f.stats.applies.Add(1)
	}
	if res.noop {
		f.stats.noopWrites.Add(1)
	}
	if res.readyAfter {
		o := res.obj
		time.AfterFunc(f.opts.ReadyDelay, func() { f.markReady(c, req.res, o.key(), o.uid, o.generation) })
	}
	code := http.StatusOK
	if existing == nil {
		code = http.StatusCreated
	}
	writeJSON(w, code, res.obj.raw)
}

func unsupportedMedia(ct, what string) error {
	return apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "write", schema.GroupResource{}, "",
		fmt.Sprintf("Content-Type %q: %s", ct, what), 0, false)
}

// decodeBody reads a JSON or YAML object.
func decodeBody(body []byte) (map[string]any, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("empty body")
	}
	if trimmed[0] != '{' {
		j, err := yaml.YAMLToJSON(trimmed)
		if err != nil {
			return nil, err
		}
		trimmed = j
	}
	var m map[string]any
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not an object")
	}
	return m, nil
}

// decodeRaw decodes a stored object (always valid: simfleet encoded it).
func decodeRaw(raw []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(fmt.Sprintf("simfleet: stored object does not decode: %v", err))
	}
	return m
}

func metaOf(m map[string]any) map[string]any {
	md, _ := m["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		m["metadata"] = md
	}
	return md
}

func nameOf(m map[string]any) string { s, _ := metaOf(m)["name"].(string); return s }
func rvOf(m map[string]any) string   { s, _ := metaOf(m)["resourceVersion"].(string); return s }

// checkBody checks the object's kind, name and namespace against the URL
// and fills them in (a generateName gets its suffix).
func checkBody(req apiRequest, m map[string]any) error {
	if av, _ := m["apiVersion"].(string); av != "" && av != req.res.gv() {
		return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", av, req.res.gv()))
	}
	if k, _ := m["kind"].(string); k != "" && k != req.res.kind {
		return apierrors.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", k, req.res.kind))
	}
	m["apiVersion"], m["kind"] = req.res.gv(), req.res.kind
	md := metaOf(m)
	name, _ := md["name"].(string)
	switch {
	case name == "" && req.name != "":
		md["name"] = req.name
	case name != "" && req.name != "" && name != req.name:
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", name, req.name))
	case name == "":
		gen, _ := md["generateName"].(string)
		if gen == "" {
			return apierrors.NewBadRequest("metadata.name or metadata.generateName is required")
		}
		md["name"] = gen + randomSuffix()
	}
	ns, _ := md["namespace"].(string)
	switch {
	case !req.res.namespaced:
		delete(md, "namespace")
	case ns != "" && ns != req.namespace:
		return apierrors.NewBadRequest(fmt.Sprintf("the namespace of the object (%s) does not match the namespace on the request (%s)", ns, req.namespace))
	default:
		md["namespace"] = req.namespace
	}
	return nil
}

func randomSuffix() string {
	const letters = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

func newUID() string {
	a, b := rand.Uint64(), rand.Uint64()
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func withStatus(m map[string]any, st any) map[string]any {
	if st == nil {
		delete(m, "status")
	} else {
		m["status"] = st
	}
	return m
}

// ssaMerge is simfleet's stand-in for server-side apply: every top-level
// field the applied object sets replaces the stored one, labels and
// annotations are merged key by key, status and fields the applied object
// does not mention are kept. There is no field ownership.
func ssaMerge(stored, applied map[string]any) map[string]any {
	for k, v := range applied {
		switch k {
		case "metadata", "status", "apiVersion", "kind":
		default:
			stored[k] = v
		}
	}
	smd, amd := metaOf(stored), metaOf(applied)
	for _, k := range []string{"labels", "annotations"} {
		add, _ := amd[k].(map[string]any)
		if len(add) == 0 {
			continue
		}
		have, _ := smd[k].(map[string]any)
		if have == nil {
			have = map[string]any{}
		}
		for kk, vv := range add {
			have[kk] = vv
		}
		smd[k] = have
	}
	for _, k := range []string{"ownerReferences", "finalizers"} {
		if v, ok := amd[k]; ok {
			smd[k] = v
		}
	}
	return stored
}

// mergePatch applies an RFC 7386 JSON merge patch.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

type writeResult struct {
	obj        *object
	noop       bool
	readyAfter bool // schedule the readiness status
}

// commit turns next (the object as the write leaves it) into a stored
// version: server-owned metadata, defaults, generation, resourceVersion. A
// write that changes nothing stores nothing. Callers hold c.mu.
func (f *Fleet) commit(c *cluster, req apiRequest, existing *object, old, next map[string]any, dryRun bool) (writeResult, error) {
	res := req.res
	md := metaOf(next)
	for _, k := range []string{"managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "uid", "creationTimestamp", "generation"} {
		delete(md, k)
	}
	o := &object{name: nameOf(next)}
	if res.namespaced {
		o.namespace = req.namespace
	}
	if existing != nil {
		o.uid, o.created = existing.uid, existing.created
	} else {
		o.uid, o.created = newUID(), time.Now().UTC().Format(time.RFC3339)
	}
	md["creationTimestamp"] = o.created
	md["uid"] = o.uid
	f.defaults(c, res, old, next)

	ready := false
	if res.workload != notWorkload {
		switch {
		case existing == nil:
			o.generation = 1
		case !bytes.Equal(mustJSON(old["spec"]), mustJSON(next["spec"])):
			o.generation = existing.generation + 1
		default:
			o.generation = existing.generation
			ready = existing.work != nil && existing.work.ready
		}
		md["generation"] = o.generation
		if !ready && f.opts.ReadyDelay < 0 {
			f.setReadyStatus(res, next, o.generation)
			ready = true
		}
		o.work = f.workloadFacts(res, next, ready)
	}
	o.labels = labelsOf(md)

	if existing != nil {
		md["resourceVersion"] = strconv.FormatUint(existing.rv, 10)
		raw, err := json.Marshal(next)
		if err != nil {
			return writeResult{}, apierrors.NewBadRequest("encode the object: " + err.Error())
		}
		if bytes.Equal(raw, existing.raw) {
			return writeResult{obj: existing, noop: true}, nil
		}
	}
	if dryRun {
		o.rv = c.rv + 1
	} else {
		o.rv = c.nextRV()
	}
	md["resourceVersion"] = strconv.FormatUint(o.rv, 10)
	raw, err := json.Marshal(next)
	if err != nil {
		return writeResult{}, apierrors.NewBadRequest("encode the object: " + err.Error())
	}
	o.raw = raw
	if dryRun {
		return writeResult{obj: o}, nil
	}
	c.put(res, existing, o)
	return writeResult{obj: o, readyAfter: res.workload != notWorkload && !ready}, nil
}

// defaults fills what the real API server's defaulting and allocation set
// and the hub reads: a workload's spec.replicas, a Service's cluster IP
// (kept across writes, as it is immutable), a Namespace's phase.
func (f *Fleet) defaults(c *cluster, res *resource, old, next map[string]any) {
	spec, _ := next["spec"].(map[string]any)
	switch {
	case res.workload == deploymentKind || res.workload == statefulSetKind:
		if spec == nil {
			spec = map[string]any{}
			next["spec"] = spec
		}
		if _, ok := spec["replicas"]; !ok {
			spec["replicas"] = int64(1)
		}
	case res == namespacesRes:
		// The API server labels every namespace with its name, for
		// namespace selectors.
		md := metaOf(next)
		l, _ := md["labels"].(map[string]any)
		if l == nil {
			l = map[string]any{}
			md["labels"] = l
		}
		l["kubernetes.io/metadata.name"] = md["name"]
		st, _ := next["status"].(map[string]any)
		if st == nil {
			next["status"] = map[string]any{"phase": "Active"}
		}
	case res == servicesRes:
		if spec == nil {
			spec = map[string]any{}
			next["spec"] = spec
		}
		if _, ok := spec["type"]; !ok {
			spec["type"] = "ClusterIP"
		}
		if spec["type"] == "ExternalName" {
			return
		}
		if ip, _ := spec["clusterIP"].(string); ip != "" {
			return
		}
		oldSpec, _ := old["spec"].(map[string]any)
		ip, _ := oldSpec["clusterIP"].(string)
		if ip == "" {
			c.ipSeq++
			ip = fmt.Sprintf("10.96.%d.%d", (c.ipSeq>>8)&0xff, c.ipSeq&0xff)
		}
		spec["clusterIP"] = ip
		spec["clusterIPs"] = []any{ip}
		if _, ok := next["status"]; !ok {
			next["status"] = map[string]any{"loadBalancer": map[string]any{}}
		}
	}
}

func labelsOf(md map[string]any) labels.Set {
	l, _ := md["labels"].(map[string]any)
	if len(l) == 0 {
		return nil
	}
	out := make(labels.Set, len(l))
	for k, v := range l {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}

func int64At(m map[string]any, keys ...string) (int64, bool) {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return 0, false
		}
		cur, ok = mm[k]
		if !ok {
			return 0, false
		}
	}
	switch n := cur.(type) {
	case float64:
		return int64(n), true
	case int64:
		return n, true
	case int:
		return int64(n), true
	}
	return 0, false
}

// workloadFacts reads what the synthetic pods of a workload look like.
func (f *Fleet) workloadFacts(res *resource, m map[string]any, ready bool) *workloadFacts {
	wf := &workloadFacts{ready: ready}
	switch res.workload {
	case deploymentKind, statefulSetKind:
		wf.pods, _ = int64At(m, "spec", "replicas")
	case daemonSetKind:
		wf.pods = int64(f.opts.NodesPerCluster)
	case jobKind:
		wf.pods = 1
		if p, ok := int64At(m, "spec", "parallelism"); ok {
			wf.pods = p
		}
		if n, ok := int64At(m, "spec", "completions"); ok && n < wf.pods {
			wf.pods = n
		}
	}
	spec, _ := m["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	tmeta, _ := tmpl["metadata"].(map[string]any)
	wf.templateLabels = labelsOf(tmeta)
	tspec, _ := tmpl["spec"].(map[string]any)
	cs, _ := tspec["containers"].([]any)
	trimmed := make([]map[string]any, 0, len(cs))
	for _, ci := range cs {
		cm, _ := ci.(map[string]any)
		if cm == nil {
			continue
		}
		t := map[string]any{"name": cm["name"], "image": cm["image"]}
		if rs, _ := cm["resources"].(map[string]any); rs != nil && rs["requests"] != nil {
			t["resources"] = map[string]any{"requests": rs["requests"]}
		}
		trimmed = append(trimmed, t)
	}
	wf.containers = mustJSON(trimmed)
	return wf
}

// setReadyStatus writes the status a workload's controller reports once
// every replica of generation gen is updated and available.
func (f *Fleet) setReadyStatus(res *resource, m map[string]any, gen int64) {
	now := time.Now().UTC().Format(time.RFC3339)
	cond := func(typ, reason, msg string) map[string]any {
		return map[string]any{"type": typ, "status": "True", "reason": reason, "message": msg, "lastUpdateTime": now, "lastTransitionTime": now}
	}
	replicas, _ := int64At(m, "spec", "replicas")
	name := nameOf(m)
	switch res.workload {
	case deploymentKind:
		m["status"] = map[string]any{
			"observedGeneration": gen, "replicas": replicas, "updatedReplicas": replicas,
			"readyReplicas": replicas, "availableReplicas": replicas,
			"conditions": []any{
				cond("Available", "MinimumReplicasAvailable", "Deployment has minimum availability."),
				cond("Progressing", "NewReplicaSetAvailable", fmt.Sprintf("ReplicaSet %q has successfully progressed.", name+"-sim")),
			},
		}
	case statefulSetKind:
		m["status"] = map[string]any{
			"observedGeneration": gen, "replicas": replicas, "readyReplicas": replicas,
			"currentReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas,
			"currentRevision": name + "-sim", "updateRevision": name + "-sim", "collisionCount": int64(0),
		}
	case daemonSetKind:
		n := int64(f.opts.NodesPerCluster)
		m["status"] = map[string]any{
			"observedGeneration": gen, "currentNumberScheduled": n, "desiredNumberScheduled": n,
			"numberReady": n, "numberAvailable": n, "updatedNumberScheduled": n, "numberMisscheduled": int64(0),
		}
	case jobKind:
		completions := int64(1)
		if n, ok := int64At(m, "spec", "completions"); ok {
			completions = n
		}
		c1 := cond("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")
		c2 := cond("Complete", "CompletionsReached", "Reached expected number of succeeded pods")
		for _, c := range []map[string]any{c1, c2} {
			delete(c, "lastUpdateTime")
			c["lastProbeTime"] = now
		}
		m["status"] = map[string]any{
			"succeeded": completions, "active": int64(0), "ready": int64(0), "terminating": int64(0),
			"startTime": now, "completionTime": now, "uncountedTerminatedPods": map[string]any{},
			"conditions": []any{c1, c2},
		}
	}
}

// markReady turns a workload's status ready if it still is the version the
// timer was set for.
func (f *Fleet) markReady(c *cluster, res *resource, key, uid string, gen int64) {
	select {
	case <-f.closed:
		return
	default:
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.objects[res.idx][key]
	if cur == nil || cur.uid != uid || cur.generation != gen || cur.work == nil || cur.work.ready {
		return
	}
	m := decodeRaw(cur.raw)
	f.setReadyStatus(res, m, gen)
	o := *cur
	wf := *cur.work
	wf.ready = true
	wf.podCache = nil // Pending before, Running now
	o.work = &wf
	o.rv = c.nextRV()
	metaOf(m)["resourceVersion"] = strconv.FormatUint(o.rv, 10)
	o.raw = mustJSON(m)
	c.put(res, cur, &o)
	f.stats.readyWrites.Add(1)
}

// serveDelete deletes one object at once (no graceful deletion, no
// finalizers, no garbage collection); a Namespace takes its objects with it.
func (f *Fleet) serveDelete(w http.ResponseWriter, c *cluster, req apiRequest, body []byte, dryRun bool) {
	gr := schema.GroupResource{Group: req.res.group, Resource: req.res.name}
	var opts metav1.DeleteOptions
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &opts); err != nil {
			writeStatusErr(w, apierrors.NewBadRequest("decode DeleteOptions: "+err.Error()))
			return
		}
	}
	dryRun = dryRun || len(opts.DryRun) > 0
	c.mu.Lock()
	o := c.objects[req.res.idx][objectKey(req.namespace, req.name)]
	var err error
	switch {
	case o == nil:
		err = apierrors.NewNotFound(gr, req.name)
	case opts.Preconditions != nil && opts.Preconditions.UID != nil && string(*opts.Preconditions.UID) != o.uid:
		err = apierrors.NewConflict(gr, req.name, fmt.Errorf("Precondition failed: UID in precondition: %s, UID in object meta: %s", *opts.Preconditions.UID, o.uid))
	case opts.Preconditions != nil && opts.Preconditions.ResourceVersion != nil && *opts.Preconditions.ResourceVersion != strconv.FormatUint(o.rv, 10):
		err = apierrors.NewConflict(gr, req.name, fmt.Errorf("Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %d", *opts.Preconditions.ResourceVersion, o.rv))
	case dryRun:
	default:
		if req.res == namespacesRes {
			for _, r := range resources {
				if !r.namespaced {
					continue
				}
				for _, in := range c.objects[r.idx] {
					if in.namespace == o.name {
						c.deleteObject(r, in)
					}
				}
			}
		}
		c.deleteObject(req.res, o)
	}
	c.mu.Unlock()
	if err != nil {
		writeStatusErr(w, err)
		return
	}
	writeStatus(w, metav1.Status{
		Status: metav1.StatusSuccess, Code: http.StatusOK,
		Details: &metav1.StatusDetails{Name: req.name, Group: req.res.group, Kind: req.res.name, UID: types.UID(o.uid)},
	})
}

// deleteObject removes o, its last version carrying the deletion's
// resourceVersion (watch clients track the newest one). Callers hold mu.
func (c *cluster) deleteObject(res *resource, o *object) {
	m := decodeRaw(o.raw)
	last := *o
	last.rv = c.nextRV()
	metaOf(m)["resourceVersion"] = strconv.FormatUint(last.rv, 10)
	last.raw = mustJSON(m)
	c.remove(res, o, &last)
}
