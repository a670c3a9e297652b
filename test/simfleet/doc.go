// Package simfleet serves many simulated member clusters from one process,
// for scale figures only: how the hub behaves with a thousand members and
// tens of thousands of Works. Correctness tests use real members (the
// local fleet's kube-apiservers); nothing here stands in for them.
//
// One HTTPS listener (a CA made at Start, HTTP/2 with up to 100,000
// concurrent streams, because client-go shares one connection among clusters
// with the same TLS settings) serves every cluster under its own path:
// https://127.0.0.1:PORT/clusters/<name>, which client-go takes as a
// rest.Config Host. Any bearer token is accepted.
//
//	f, err := simfleet.Start(ctx, simfleet.Options{Clusters: names, ReadyDelay: time.Second})
//	secretData := f.Kubeconfig("c0001") // or f.RESTConfig("c0001")
//	f.SetDown("c0001", true)            // the cluster fails: requests reset, watches cut
//	f.Objects("c0001"); f.Get("c0001", "apps/v1/deployments", "default", "web")
//	f.Stats()                            // requests by verb and resource, applies, watches
//
// # What a cluster answers
//
// What the hub sends a push member: GET /readyz, /healthz, /livez (200 ok)
// and /version (v1.37.2); legacy discovery (/api, /apis, /api/v1,
// /apis/<group>, /apis/<group>/<version>); for core/v1 namespaces, services,
// configmaps, secrets, serviceaccounts, apps/v1 deployments, statefulsets,
// daemonsets and batch/v1 jobs: get, list (labelSelector, fieldSelector
// metadata.name / metadata.namespace, limit/continue), watch (see below),
// create, update, merge patch, server-side apply and delete, plus get,
// update and patch of their status subresource; core/v1 nodes and pods read
// only (get, list, watch). Every cluster has its own in-memory store: a
// resourceVersion counter shared by its resources, uids, creation
// timestamps, generation (workloads: 1 at creation, bumped when spec
// changes), labels and annotations. A write that changes nothing stores
// nothing, as a real API server. Writing a namespaced object into a missing
// namespace answers 404 (the hub then creates the namespace).
//
// Workloads become ready by themselves: Options.ReadyDelay after a write
// that created a Deployment, StatefulSet, DaemonSet or Job or changed its
// spec, its status is set as its controller would once done
// (observedGeneration, replicas, updated/ready/available replicas =
// spec.replicas, conditions Available and Progressing True; DaemonSet: one
// per node; Job: succeeded = completions, Complete True) and watches see a
// MODIFIED event. Each cluster reports Options.NodesPerCluster Ready nodes
// (allocatable cpu 8, memory 32Gi, pods 110) and one pod per replica of
// each stored workload, bound to a node, Pending until the workload is
// ready and Running after (a Job's: Succeeded), with the resource requests
// of the template's containers: the hub's node, pod and resource summaries
// and the scheduler's available replicas follow the applied workloads.
//
// Watches stream JSON events one per line and stay open until
// timeoutSeconds, the client leaving, the cluster going down or the fleet
// closing. Without a resourceVersion (or with "0") they start with ADDED for
// the current objects; with sendInitialEvents=true (client-go's watch-list,
// on by default) they send the current objects and then the BOOKMARK
// annotated k8s.io/initial-events-end; with a resourceVersion they resume
// from the cluster's last 128 events, or send a 410 Expired ERROR event when
// the history no longer reaches back that far (the client relists). A
// change that moves an object into or out of a watch's label selection is
// ADDED or DELETED for it. Watches that allow bookmarks get one every minute
// and before their timeout.
//
// Options.Latency delays every request (a watch: its response, not its
// events); Options.ErrorRate answers that share of mutating requests with
// 500 and a Status body; SetDown makes every request of the cluster fail
// (reset streams by default, or Options.DownStatus) and cuts its open
// watches, until SetDown(false); its objects are kept.
//
// # What it leaves out
//
// The simulation answers what the hub reads and writes; it is not an API
// server. Precisely:
//
//   - Server-side apply is not the real merge: there is no field ownership,
//     no managedFields, no conflicts (force or not), no removal of fields a
//     manager stopped applying. An apply replaces every top-level field it
//     sets (spec, data, ...), merges metadata labels and annotations key by
//     key (a label dropped from the applied object stays), replaces
//     ownerReferences and finalizers when it sets them, ignores status, and
//     keeps whatever else the stored object has. Strategic merge patches are
//     applied as JSON merge patches (lists replaced, no patch directives);
//     JSON patch is refused (415).
//   - No admission, no validation beyond kind, name and namespace matching
//     the URL, no defaulting beyond spec.replicas (Deployment, StatefulSet),
//     a Service's type and cluster IP, and a Namespace's phase and name
//     label. Any object is accepted as it is; quantities are not parsed.
//   - No authentication or authorization: every token (or none) may do
//     everything; there are no RBAC objects, no 401 or 403.
//   - No controllers: no ReplicaSets, no real pods, no scheduling, no
//     kubelet, no rollout progress (the status jumps from the applied spec to
//     fully ready after ReadyDelay), no Job failures, no garbage collection
//     (no ownerReferences cascade, propagationPolicy ignored), no finalizers
//     or graceful deletion (a delete is immediate; a Namespace delete removes
//     its objects at once, with no Terminating phase).
//   - Pods and nodes are synthetic and read only: pods are derived from the
//     stored workloads when read (owner: the workload itself, not a
//     ReplicaSet; one pod per replica, containers reduced to name, image and
//     requests), nodes are the same for every cluster; their watches send the
//     initial state and bookmarks, never a change.
//   - Only the resources listed above: no CRDs (about.k8s.io
//     ClusterProperties answer 404, which the hub takes as none), no
//     events, leases, RBAC, PVCs, ReplicaSets, CronJobs; no scale, exec, log,
//     proxy, eviction or other subresources; no deletecollection; no
//     OpenAPI documents (kubectl apply's client-side schema lookups fail).
//   - No aggregated discovery (the legacy documents answer the aggregated
//     Accept header; client-go falls back, at the cost of one request per
//     group version), no protobuf, no CBOR, no Table output (406); JSON or
//     YAML request bodies only.
//   - Lists always answer the current state: resourceVersion and
//     resourceVersionMatch on a list are ignored (no snapshot reads), and
//     limit/continue pages are not one consistent snapshot. Watch history is
//     128 events per cluster, across its resources. No watch caches, no
//     priority and fairness, no request limits beyond HTTP/2's streams.
//   - JSON numbers go through float64: integers above 2^53 lose precision.
//   - No etcd: nothing is persisted; the fleet lives as long as its process.
package simfleet
