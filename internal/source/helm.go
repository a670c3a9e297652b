package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// maxIndexSize bounds a repository's index.yaml: large public
// repositories publish indexes of tens of MiB.
const maxIndexSize = 128 << 20

// Helm fetches one version of a chart: from a chart repository's
// index.yaml (type default) or from an OCI registry (type oci, or an
// oci:// URL). version is an exact version, a semver range (~1.2,
// >=1.0 <2.0) or "" for the latest stable version; passing the version a
// previous fetch returned fetches the same chart again (a rollback). The
// chart's files, at the root of the package, make a HelmChart package.
func Helm(ctx context.Context, s *appsv1alpha1.HelmRepositorySource, chart, version string, creds *Credentials) (Fetched, error) {
	if s == nil || strings.TrimSpace(s.URL) == "" {
		return Fetched{}, fmt.Errorf("%s.url is empty: set it to the chart repository (https://… serving index.yaml, or oci://registry/path)", helmField)
	}
	if chart == "" {
		return Fetched{}, fmt.Errorf("%s is empty: name the chart to install from %s", chartField, redactURL(s.URL))
	}
	if strings.Contains(chart, "/") {
		return Fetched{}, fmt.Errorf("%s %q: a chart of a repository is named without a path; put the path in %s.url", chartField, chart, helmField)
	}
	ctx, cancel, timeout := withTimeout(ctx, s.Timeout)
	defer cancel()
	var (
		f   Fetched
		err error
	)
	switch {
	case s.Type == "oci" || strings.HasPrefix(s.URL, "oci://"):
		f, err = helmOCI(ctx, s, chart, version, creds)
	case s.Type == "" || s.Type == "default":
		f, err = helmIndex(ctx, s, chart, version, creds)
	default:
		return Fetched{}, fmt.Errorf("%s.type %q is not supported; use default (an index.yaml repository) or oci", helmField, s.Type)
	}
	if err != nil {
		return Fetched{}, timeoutError(ctx, err, helmField, "fetching chart "+chart+" from "+redactURL(s.URL), timeout)
	}
	return f, nil
}

func helmIndex(ctx context.Context, s *appsv1alpha1.HelmRepositorySource, chart, version string, creds *Credentials) (Fetched, error) {
	base, err := url.Parse(s.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return Fetched{}, fmt.Errorf("%s.url %q is not an http(s) URL of a chart repository; write https://host/path (for a registry: oci://host/path)", helmField, redactURL(s.URL))
	}
	indexURL := strings.TrimSuffix(s.URL, "/")
	if !strings.HasSuffix(indexURL, "/index.yaml") {
		indexURL += "/index.yaml"
	}
	repoBase := strings.TrimSuffix(indexURL, "index.yaml")
	data, err := httpGet(ctx, indexURL, creds, maxIndexSize)
	if err != nil {
		return Fetched{}, err
	}
	idx, err := parseIndex(data)
	if err != nil {
		return Fetched{}, fmt.Errorf("%s.url: %s is not a Helm repository index (%v); point the URL at the repository (the directory of index.yaml)", helmField, redactURL(indexURL), err)
	}
	cv, err := pickChartVersion(idx, chart, version, redactURL(s.URL))
	if err != nil {
		return Fetched{}, err
	}
	if len(cv.URLs) == 0 {
		return Fetched{}, fmt.Errorf("%s: the index of %s lists %s %s without a download URL; fix the repository's index.yaml (helm repo index)", helmField, redactURL(s.URL), chart, cv.Version)
	}
	chartURL, err := repo.ResolveReferenceURL(repoBase, cv.URLs[0])
	if err != nil {
		return Fetched{}, fmt.Errorf("%s: chart %s %s has a bad URL %q in the index: %v", helmField, chart, cv.Version, cv.URLs[0], err)
	}
	chartCreds := creds
	if !s.PassCredentials && !sameHost(chartURL, indexURL) {
		chartCreds = nil // like Helm: credentials go to the repository's host only
	}
	archive, err := httpGet(ctx, chartURL, chartCreds, MaxContentSize)
	if err != nil {
		return Fetched{}, err
	}
	digest := sha256.Sum256(archive)
	if cv.Digest != "" && !strings.EqualFold(strings.TrimPrefix(cv.Digest, "sha256:"), hex.EncodeToString(digest[:])) {
		return Fetched{}, fmt.Errorf("%s: %s has digest sha256:%x but the index says %s; the repository changed the archive after indexing it: re-run helm repo index there", helmField, redactURL(chartURL), digest, cv.Digest)
	}
	files, err := chartFiles(archive, chart, cv.Version, redactURL(chartURL))
	if err != nil {
		return Fetched{}, err
	}
	return Fetched{
		Revision: cv.Version,
		Commit:   "sha256:" + hex.EncodeToString(digest[:]),
		Source:   "helm " + redactURL(chartURL),
		Package:  apphub.Package{Format: appsv1alpha1.FormatHelmChart, Files: files},
	}, nil
}

func parseIndex(data []byte) (*repo.IndexFile, error) {
	idx := &repo.IndexFile{}
	if err := yaml.Unmarshal(data, idx); err != nil {
		return nil, err
	}
	if idx.APIVersion == "" {
		return nil, errors.New("no apiVersion")
	}
	for name, versions := range idx.Entries {
		kept := versions[:0]
		for _, v := range versions {
			if v != nil && v.Metadata != nil && v.Version != "" {
				kept = append(kept, v)
			}
		}
		idx.Entries[name] = kept
	}
	idx.SortEntries() // newest first
	return idx, nil
}

// pickChartVersion chooses the index entry of the version pickVersion
// picks.
func pickChartVersion(idx *repo.IndexFile, chart, version, where string) (*repo.ChartVersion, error) {
	entries, ok := idx.Entries[chart]
	if !ok || len(entries) == 0 {
		var charts []string
		for name, vs := range idx.Entries {
			if len(vs) > 0 {
				charts = append(charts, name)
			}
		}
		return nil, fmt.Errorf("%s: no chart %q in %s; charts there: %s; set it to one of them", chartField, chart, where, listOf(charts))
	}
	versions := make([]string, len(entries))
	for i, e := range entries {
		versions[i] = e.Version
	}
	picked, err := pickVersion(versions, chart, version, where)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.Version == picked {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%s: version %s of %s vanished from the index", versionField, picked, chart) // unreachable
}

// pickVersion chooses a version as Helm does: an exact match first, else
// the newest version the range allows ("" allows every stable version).
// versions are newest first.
func pickVersion(versions []string, chart, version, where string) (string, error) {
	var constraint *semver.Constraints
	if version != "" {
		for _, v := range versions {
			if v == version {
				return v, nil
			}
		}
		c, err := semver.NewConstraint(version)
		if err != nil {
			return "", fmt.Errorf("%s %q is neither a version of %s nor a semver range (1.2.0, ~1.2, >=1.0 <2.0): %v", versionField, version, chart, err)
		}
		constraint = c
	} else {
		constraint, _ = semver.NewConstraint("*")
	}
	for _, v := range versions {
		sv, err := semver.NewVersion(v)
		if err != nil {
			continue
		}
		if constraint.Check(sv) {
			return v, nil
		}
	}
	want := "stable version"
	if version != "" {
		want = "version matching " + version
	}
	return "", fmt.Errorf("%s: chart %s in %s has no %s; versions there: %s; set %s to one of them", versionField, chart, where, want, listNewestFirst(versions), versionField)
}

// listNewestFirst formats versions in their order, at most 20.
func listNewestFirst(versions []string) string {
	if len(versions) == 0 {
		return "none"
	}
	const max = 20
	if len(versions) > max {
		return strings.Join(versions[:max], ", ") + fmt.Sprintf(" and %d more", len(versions)-max)
	}
	return strings.Join(versions, ", ")
}

// chartFiles reads a chart archive into files at the chart's root and
// checks it loads as the chart and version asked for.
func chartFiles(archive []byte, chart, version, where string) (map[string][]byte, error) {
	buffered, err := loader.LoadArchiveFiles(bytes.NewReader(archive))
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not a chart archive (%v); fix the chart in the repository", helmField, where, err)
	}
	budget := sizeBudget{field: helmField, what: "the files of chart " + chart + " " + version}
	files := make(map[string][]byte, len(buffered))
	for _, f := range buffered {
		if err := budget.add(f.Name, int64(len(f.Data))); err != nil {
			return nil, err
		}
		files[f.Name] = f.Data
	}
	c, err := loader.LoadFiles(buffered)
	if err != nil {
		return nil, fmt.Errorf("%s: chart %s %s from %s does not load (%v); fix the chart in the repository", helmField, chart, version, where, err)
	}
	if c.Metadata.Name != chart || c.Metadata.Version != version {
		return nil, fmt.Errorf("%s: %s holds chart %s %s, not %s %s as the repository says; fix the repository's index", helmField, where, c.Metadata.Name, c.Metadata.Version, chart, version)
	}
	return files, nil
}

func sameHost(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	return errA == nil && errB == nil && ua.Host == ub.Host
}

// httpGet reads a URL with the caller's deadline, at most limit bytes.
func httpGet(ctx context.Context, rawURL string, creds *Credentials, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%s.url: %v", helmField, err)
	}
	if !creds.empty() {
		if creds.BearerToken != "" {
			req.Header.Set("Authorization", "Bearer "+creds.BearerToken)
		} else {
			req.SetBasicAuth(creds.Username, creds.Password)
		}
	}
	where := redactURL(rawURL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s.url: GET %s: %w", helmField, where, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		if creds.empty() {
			return nil, fmt.Errorf("%s: GET %s: %s; set %s.secretRef to a Secret with username and password", helmField, where, resp.Status, helmField)
		}
		return nil, fmt.Errorf("%s: GET %s: %s; "+secretRefHint, helmField, where, resp.Status, helmField)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s.url: GET %s: %s; check the repository URL", helmField, where, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s.url: GET %s: %s", helmField, where, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s.url: GET %s: %w", helmField, where, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %s is larger than %d MiB; a chart repository serves YAML and charts", helmField, where, limit>>20)
	}
	return data, nil
}

// sortedSemverDesc returns the tags that are semantic versions, newest
// first (Helm stores a chart version's "+" as "_" in a tag).
func sortedSemverDesc(tags []string) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	var vs []tv
	for _, t := range tags {
		v, err := semver.NewVersion(strings.ReplaceAll(t, "_", "+"))
		if err == nil {
			vs = append(vs, tv{strings.ReplaceAll(t, "_", "+"), v})
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].v.GreaterThan(vs[j].v) })
	out := make([]string, len(vs))
	for i, x := range vs {
		out[i] = x.tag
	}
	return out
}
