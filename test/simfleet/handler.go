package simfleet

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// bookmarkEvery is how often a watch that allows bookmarks gets one (a
// real API server sends them about once a minute), so that it can resume
// from a recent resourceVersion after its timeout.
const bookmarkEvery = time.Minute

// maxBody bounds a request body; real API servers take up to 3 MiB objects.
const maxBody = 4 << 20

// apiRequest is a parsed resource request.
type apiRequest struct {
	res       *resource
	namespace string
	name      string
	sub       string // "" or "status"
	verb      verb
}

// ServeHTTP routes /clusters/<name>/... to the cluster.
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/clusters/")
	if !ok {
		writeStatusErr(w, apierrors.NewNotFound(schema.GroupResource{Resource: "clusters"}, r.URL.Path))
		return
	}
	name, sub, _ := strings.Cut(rest, "/")
	c := f.clusters[name]
	if c == nil {
		writeStatusErr(w, apierrors.NewNotFound(schema.GroupResource{Resource: "clusters"}, name))
		return
	}
	sub = "/" + sub
	req, p, err := parseRequest(r, sub)
	mutating := false
	switch {
	case err != nil:
	case req.res != nil:
		f.stats.byVerb[req.verb][req.res.idx].Add(1)
		mutating = req.verb != verbGet && req.verb != verbList && req.verb != verbWatch
	default:
		f.stats.byPath[p].Add(1)
	}

	if d := f.opts.Latency; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if c.down.Load() {
		f.stats.downRefused.Add(1)
		f.refuseDown(w, c)
		return
	}
	if err != nil {
		writeStatusErr(w, err)
		return
	}
	if mutating && f.opts.ErrorRate > 0 && rand.Float64() < f.opts.ErrorRate {
		f.stats.injectedErrors.Add(1)
		writeStatusErr(w, apierrors.NewInternalError(fmt.Errorf("simfleet: injected error (ErrorRate %v) in cluster %s", f.opts.ErrorRate, c.name)))
		return
	}
	if req.res == nil {
		f.servePath(w, p, sub)
		return
	}
	if err := checkAccept(r.Header.Get("Accept")); err != nil {
		writeStatusErr(w, err)
		return
	}
	q := r.URL.Query()
	switch req.verb {
	case verbGet:
		f.serveGet(w, c, req)
	case verbList:
		f.serveList(w, c, req, q)
	case verbWatch:
		f.serveWatch(w, r, c, req, q)
	default:
		body, rerr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if rerr != nil {
			writeStatusErr(w, apierrors.NewBadRequest("read the request body: "+rerr.Error()))
			return
		}
		if len(body) > maxBody {
			writeStatusErr(w, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("body over %d bytes", maxBody)))
			return
		}
		f.serveWrite(w, r, c, req, q, body)
	}
}

// refuseDown answers a request to a down cluster: a reset stream (the
// client sees a connection error, as with an unreachable server) or the
// configured status code.
func (f *Fleet) refuseDown(w http.ResponseWriter, c *cluster) {
	if f.opts.DownStatus == 0 {
		panic(http.ErrAbortHandler)
	}
	writeStatus(w, metav1.Status{
		Status: metav1.StatusFailure, Code: int32(f.opts.DownStatus), Reason: metav1.StatusReasonServiceUnavailable,
		Message: fmt.Sprintf("simfleet: cluster %s is down", c.name),
	})
}

// parseRequest reads the path below /clusters/<name>: either a resource
// request or one of the fixed paths.
func parseRequest(r *http.Request, p string) (apiRequest, path, error) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	notFound := apierrors.NewNotFound(schema.GroupResource{}, "")
	notFound.ErrStatus.Message = "the server could not find the requested resource"
	notFound.ErrStatus.Details = nil
	if r.Method != http.MethodGet && (segs[0] != "api" && segs[0] != "apis") {
		return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(schema.GroupResource{}, r.Method)
	}
	var group, ver string
	var rest []string
	switch segs[0] {
	case "readyz":
		return apiRequest{}, pathReadyz, nil
	case "healthz":
		return apiRequest{}, pathHealthz, nil
	case "livez":
		return apiRequest{}, pathLivez, nil
	case "version":
		return apiRequest{}, pathVersion, nil
	case "api":
		if len(segs) == 1 {
			return apiRequest{}, pathDiscovery, nil
		}
		ver, rest = segs[1], segs[2:]
	case "apis":
		if len(segs) <= 2 {
			return apiRequest{}, pathDiscovery, nil
		}
		group, ver, rest = segs[1], segs[2], segs[3:]
	default:
		return apiRequest{}, pathNotFound, notFound
	}
	if len(rest) == 0 {
		return apiRequest{}, pathDiscovery, nil
	}
	var req apiRequest
	if len(rest) >= 3 && rest[0] == "namespaces" {
		if res := lookupResource(group, ver, rest[2]); res != nil && res.namespaced {
			req.namespace, rest = rest[1], rest[2:]
		}
	}
	req.res = lookupResource(group, ver, rest[0])
	if req.res == nil || len(rest) > 3 {
		return apiRequest{}, pathNotFound, notFound
	}
	if len(rest) > 1 {
		req.name = rest[1]
	}
	if len(rest) > 2 {
		req.sub = rest[2]
		if req.sub != "status" || !req.res.hasStatus {
			return apiRequest{}, pathNotFound, notFound
		}
	}
	if req.res.namespaced && req.namespace == "" && req.name != "" {
		return apiRequest{}, pathNotFound, notFound
	}
	gr := schema.GroupResource{Group: req.res.group, Resource: req.res.name}
	watch := r.URL.Query().Get("watch")
	switch r.Method {
	case http.MethodGet:
		switch {
		case req.name != "":
			req.verb = verbGet
		case watch == "true" || watch == "1":
			req.verb = verbWatch
		default:
			req.verb = verbList
		}
	case http.MethodPost:
		req.verb = verbCreate
		if req.name != "" {
			return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(gr, "create with a name in the path")
		}
	case http.MethodPut:
		req.verb = verbUpdate
	case http.MethodPatch:
		req.verb = verbPatch
		if mediaType(r.Header.Get("Content-Type")) == "application/apply-patch+yaml" {
			req.verb = verbApply
		}
	case http.MethodDelete:
		req.verb = verbDelete
		if req.name == "" {
			return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(gr, "deletecollection")
		}
	default:
		return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(gr, r.Method)
	}
	if (req.verb == verbUpdate || req.verb == verbPatch || req.verb == verbApply) && req.name == "" {
		return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(gr, r.Method+" without a name")
	}
	if req.res.synthetic && req.verb != verbGet && req.verb != verbList && req.verb != verbWatch {
		return apiRequest{}, pathNotFound, apierrors.NewMethodNotSupported(gr, strings.ToLower(verbNames[req.verb])+" (simfleet serves "+req.res.name+" read only)")
	}
	return req, pathNotFound, nil
}

func mediaType(h string) string {
	t, _, _ := strings.Cut(h, ";")
	return strings.TrimSpace(strings.ToLower(t))
}

// checkAccept refuses clients that take no JSON: protobuf, CBOR and Table
// are not served.
func checkAccept(accept string) error {
	if accept == "" {
		return nil
	}
	for _, part := range strings.Split(accept, ",") {
		t, params, _ := strings.Cut(part, ";")
		t = strings.TrimSpace(strings.ToLower(t))
		if t == "*/*" || t == "application/*" {
			return nil
		}
		if t == "application/json" && !strings.Contains(params, "as=") {
			return nil
		}
	}
	return apierrors.NewGenericServerResponse(http.StatusNotAcceptable, "get", schema.GroupResource{}, "",
		"simfleet serves application/json only (no protobuf, CBOR or Table); Accept: "+accept, 0, false)
}

func (f *Fleet) servePath(w http.ResponseWriter, p path, sub string) {
	switch p {
	case pathReadyz, pathHealthz, pathLivez:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok")
	case pathVersion:
		writeJSON(w, http.StatusOK, mustJSON(version.Info{
			Major: "1", Minor: "37", GitVersion: "v1.37.2", GitCommit: "simfleet", GitTreeState: "clean",
			BuildDate: f.start.UTC().Format(time.RFC3339), GoVersion: "go", Compiler: "gc", Platform: "linux/amd64",
		}))
	case pathDiscovery:
		segs := strings.Split(strings.Trim(sub, "/"), "/")
		var doc []byte
		switch {
		case len(segs) == 1 && segs[0] == "api":
			doc = f.disc.api
		case len(segs) == 1 && segs[0] == "apis":
			doc = f.disc.apis
		case len(segs) == 2 && segs[0] == "api":
			doc = f.disc.resources[segs[1]]
		case len(segs) == 2:
			doc = f.disc.groups[segs[1]]
		case len(segs) == 3:
			doc = f.disc.resources[segs[1]+"/"+segs[2]]
		}
		if doc == nil {
			nf := apierrors.NewNotFound(schema.GroupResource{}, "")
			nf.ErrStatus.Message = "the server could not find the requested resource"
			nf.ErrStatus.Details = nil
			writeStatusErr(w, nf)
			return
		}
		// The legacy documents are the answer to an aggregated-discovery
		// Accept too: client-go reads the Content-Type and falls back.
		writeJSON(w, http.StatusOK, doc)
	default:
		writeStatusErr(w, apierrors.NewNotFound(schema.GroupResource{}, sub))
	}
}

func (f *Fleet) serveGet(w http.ResponseWriter, c *cluster, req apiRequest) {
	var raw []byte
	if req.res.synthetic {
		c.mu.Lock()
		for _, item := range f.syntheticItems(c, req.res, filter{namespace: req.namespace, name: req.name}) {
			raw = item
		}
		c.mu.Unlock()
	} else {
		c.mu.Lock()
		if o := c.objects[req.res.idx][objectKey(req.namespace, req.name)]; o != nil {
			raw = o.raw
		}
		c.mu.Unlock()
	}
	if raw == nil {
		writeStatusErr(w, apierrors.NewNotFound(schema.GroupResource{Group: req.res.group, Resource: req.res.name}, req.name))
		return
	}
	writeJSON(w, http.StatusOK, raw)
}

// parseFilter reads the namespace, labelSelector and fieldSelector of a
// list or watch.
func parseFilter(req apiRequest, q url.Values) (filter, error) {
	f := filter{namespace: req.namespace}
	if s := q.Get("labelSelector"); s != "" {
		sel, err := labels.Parse(s)
		if err != nil {
			return f, apierrors.NewBadRequest(fmt.Sprintf("labelSelector %q: %v", s, err))
		}
		f.selector = sel
	}
	if s := q.Get("fieldSelector"); s != "" {
		for _, term := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(term, "=")
			v = strings.TrimPrefix(v, "=")
			if !ok || strings.HasSuffix(k, "!") {
				return f, apierrors.NewBadRequest(fmt.Sprintf("fieldSelector %q: simfleet takes only metadata.name=X and metadata.namespace=X", s))
			}
			switch k {
			case "metadata.name":
				f.name = v
			case "metadata.namespace":
				if f.namespace != "" && f.namespace != v {
					f.name = "\x00" // matches nothing, as the real server
				}
				f.namespace = v
			default:
				return f, apierrors.NewBadRequest(fmt.Sprintf("fieldSelector %q: field label %q not supported by simfleet", s, k))
			}
		}
	}
	return f, nil
}

func (f *Fleet) serveList(w http.ResponseWriter, c *cluster, req apiRequest, q url.Values) {
	flt, err := parseFilter(req, q)
	if err != nil {
		writeStatusErr(w, err)
		return
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	after := ""
	if tok := q.Get("continue"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			writeStatusErr(w, apierrors.NewBadRequest("continue token is not valid: "+err.Error()))
			return
		}
		after = string(b)
	}
	type item struct {
		key string
		raw []byte
	}
	var items []item
	c.mu.Lock()
	rv := c.rv
	if req.res.synthetic {
		for key, raw := range f.syntheticItems(c, req.res, flt) {
			items = append(items, item{key, raw})
		}
	} else {
		for _, o := range c.list(req.res, flt) {
			items = append(items, item{o.key(), o.raw})
		}
	}
	c.mu.Unlock()

	start := 0
	for start < len(items) && after != "" && items[start].key <= after {
		start++
	}
	items = items[start:]
	cont, remaining := "", 0
	if limit > 0 && len(items) > limit {
		remaining = len(items) - limit
		items = items[:limit]
		cont = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].key))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"%d"`, req.res.kind+"List", req.res.gv(), rv)
	if cont != "" {
		fmt.Fprintf(&b, `,"continue":%q,"remainingItemCount":%d`, cont, remaining)
	}
	b.WriteString(`},"items":[`)
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(it.raw)
	}
	b.WriteString("]}")
	writeJSON(w, http.StatusOK, b.Bytes())
}

// serveWatch streams events: the initial state (when asked for, or when no
// resourceVersion was given), then every change, until timeoutSeconds, the
// client leaves, the cluster goes down or the fleet closes.
func (f *Fleet) serveWatch(w http.ResponseWriter, r *http.Request, c *cluster, req apiRequest, q url.Values) {
	flt, err := parseFilter(req, q)
	if err != nil {
		writeStatusErr(w, err)
		return
	}
	bookmarks := q.Get("allowWatchBookmarks") == "true"
	initial := q.Get("sendInitialEvents") == "true"
	if initial && !bookmarks {
		writeStatusErr(w, apierrors.NewBadRequest("sendInitialEvents requires allowWatchBookmarks=true"))
		return
	}
	rvParam := q.Get("resourceVersion")
	var from uint64
	if rvParam != "" && rvParam != "0" && !initial {
		from, err = strconv.ParseUint(rvParam, 10, 64)
		if err != nil {
			writeStatusErr(w, apierrors.NewBadRequest(fmt.Sprintf("resourceVersion %q is not valid", rvParam)))
			return
		}
	}
	var timeout <-chan time.Time
	if s := q.Get("timeoutSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeStatusErr(w, apierrors.NewBadRequest(fmt.Sprintf("timeoutSeconds %q is not valid", s)))
			return
		}
		if n > 0 {
			t := time.NewTimer(time.Duration(n) * time.Second)
			defer t.Stop()
			timeout = t.C
		}
	}

	wt := newWatcher(req.res, flt)
	expired := false
	c.mu.Lock()
	switch {
	case from == 0 && req.res.synthetic:
		for _, raw := range f.syntheticItems(c, req.res, flt) {
			wt.queue = append(wt.queue, watchEvent{typ: "ADDED", obj: &object{raw: raw}})
		}
	case from == 0:
		for _, o := range c.list(req.res, flt) {
			wt.queue = append(wt.queue, watchEvent{typ: "ADDED", obj: o})
		}
	default:
		evs, ok := c.since(from, req.res)
		expired = !ok
		for _, ev := range evs {
			wt.offer(ev)
		}
	}
	if initial {
		wt.queue = append(wt.queue, watchEvent{typ: "BOOKMARK", rv: c.rv, initialEnd: true})
	}
	if !expired {
		c.watchers[wt] = struct{}{}
		if c.down.Load() {
			// SetDown ran after this request was let in and before it
			// registered: it could not cut this watch, so cut it here.
			wt.close()
		}
	}
	c.mu.Unlock()
	if !expired {
		f.stats.watchesOpen.Add(1)
		defer func() {
			c.mu.Lock()
			delete(c.watchers, wt)
			c.mu.Unlock()
			f.stats.watchesOpen.Add(-1)
		}()
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if expired {
		st := apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", from, c.floorRV())).ErrStatus
		st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
		_, _ = w.Write(append(append([]byte(`{"type":"ERROR","object":`), mustJSON(st)...), '}', '\n'))
		_ = rc.Flush()
		return
	}
	_ = rc.Flush()

	tick := time.NewTicker(bookmarkEvery)
	defer tick.Stop()
	var buf bytes.Buffer
	send := func(evs []watchEvent) bool {
		if len(evs) == 0 {
			return true
		}
		buf.Reset()
		for _, ev := range evs {
			f.encodeEvent(&buf, req.res, ev)
		}
		f.stats.watchEvents.Add(int64(len(evs)))
		if _, err := w.Write(buf.Bytes()); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	bookmark := func() bool {
		c.mu.Lock()
		rv := c.rv
		c.mu.Unlock()
		// Every event up to rv is queued already (emit runs under the
		// lock): send them first, so the bookmark promises nothing early.
		evs, _ := wt.take()
		return send(append(evs, watchEvent{typ: "BOOKMARK", rv: rv}))
	}
	for {
		evs, overflow := wt.take()
		if !send(evs) || overflow {
			return
		}
		select {
		case <-wt.wake:
		case <-wt.gone:
			if c.down.Load() && f.opts.DownStatus == 0 {
				panic(http.ErrAbortHandler)
			}
			return
		case <-r.Context().Done():
			return
		case <-timeout:
			if bookmarks {
				bookmark()
			}
			return
		case <-tick.C:
			if bookmarks && !bookmark() {
				return
			}
		}
	}
}

func (c *cluster) floorRV() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.floor
}

// encodeEvent appends one watch event line.
func (f *Fleet) encodeEvent(b *bytes.Buffer, res *resource, ev watchEvent) {
	b.WriteString(`{"type":"`)
	b.WriteString(ev.typ)
	b.WriteString(`","object":`)
	if ev.typ == "BOOKMARK" {
		fmt.Fprintf(b, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":"%d"`, res.kind, res.gv(), ev.rv)
		if ev.initialEnd {
			fmt.Fprintf(b, `,"annotations":{%q:"true"}`, metav1.InitialEventsAnnotationKey)
		}
		b.WriteString("}}")
	} else {
		b.Write(ev.obj.raw)
	}
	b.WriteString("}\n")
}

func writeJSON(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func writeStatusErr(w http.ResponseWriter, err error) {
	if se, ok := err.(apierrors.APIStatus); ok {
		writeStatus(w, se.Status())
		return
	}
	writeStatus(w, apierrors.NewInternalError(err).ErrStatus)
}

func writeStatus(w http.ResponseWriter, st metav1.Status) {
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if st.Status == "" {
		st.Status = metav1.StatusFailure
	}
	code := int(st.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	body, _ := json.Marshal(st)
	writeJSON(w, code, body)
}
