package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// Default branches, tried in this order when ref names none.
var defaultBranches = []string{"master", "main"}

var hexRevision = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// Git fetches one commit of a Git repository: the commit ref names
// (ref.commit, else ref.tag, else ref.branch, else the branch master, else
// main), or, when revision is set, that commit again (a rollback; its full
// hash, a prefix of at least 7 characters, or the "git-<prefix>" revision
// name). The files of the commit's tree (no .git, no symlinks, no
// submodules) become the package; a Chart.yaml at the root makes it a chart.
//
// Remote repositories (http, https, git, ssh) are cloned into memory, one
// commit deep unless a commit is asked for; a local one (file:// or a
// path) is read where it is, with no git binary needed.
func Git(ctx context.Context, s *appsv1alpha1.GitRepositorySource, revision string, creds *Credentials) (Fetched, error) {
	if s == nil || strings.TrimSpace(s.URL) == "" {
		return Fetched{}, fmt.Errorf("%s.url is empty: set it to the repository (https://, http://, git://, ssh://, file:// or a local path)", gitField)
	}
	ctx, cancel, timeout := withTimeout(ctx, s.Timeout)
	defer cancel()

	want, err := wantedRef(s.Reference, revision)
	if err != nil {
		return Fetched{}, err
	}
	local, isLocal, err := localPath(s.URL)
	if err != nil {
		return Fetched{}, err
	}
	var repo *git.Repository
	if isLocal {
		repo, err = git.PlainOpenWithOptions(local, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
		if err != nil {
			return Fetched{}, fmt.Errorf("%s.url: no Git repository at %s (%v); point it at a repository's directory", gitField, local, err)
		}
	} else {
		repo, err = cloneRemote(ctx, s.URL, want, creds)
		if err != nil {
			return Fetched{}, timeoutError(ctx, err, gitField, "the clone of "+redactURL(s.URL), timeout)
		}
	}
	commit, err := resolveCommit(repo, want, s.URL)
	if err != nil {
		return Fetched{}, err
	}
	files, err := commitFiles(ctx, commit)
	if err != nil {
		return Fetched{}, timeoutError(ctx, err, gitField, "reading commit "+commit.Hash.String(), timeout)
	}
	hash := commit.Hash.String()
	return Fetched{
		Revision: "git-" + short(hash, 12),
		Commit:   hash,
		Source:   "git " + redactURL(s.URL) + "@" + hash,
		Package:  apphub.Package{Format: apphub.DetectFormat(files), Files: files},
	}, nil
}

// gitWant is what to check out, and the field that asked for it.
type gitWant struct {
	commit string // a hex commit (or prefix); "" when a name is wanted
	tag    string
	branch string // "" with tag and commit empty: the default branches
	field  string
}

func wantedRef(ref *appsv1alpha1.GitRepositoryRef, revision string) (gitWant, error) {
	if ref == nil {
		ref = &appsv1alpha1.GitRepositoryRef{}
	}
	w := gitWant{tag: ref.Tag, branch: ref.Branch}
	switch {
	case revision != "":
		w.commit = strings.ToLower(strings.TrimPrefix(revision, "git-"))
		w.field = gitField
		if !hexRevision.MatchString(w.commit) {
			return w, fmt.Errorf("%s: revision %q is not a commit; give a commit hash (at least 7 hex digits) or a git-<hash> revision from the Application's history", gitField, revision)
		}
	case ref.Commit != "":
		w.commit = strings.ToLower(ref.Commit)
		w.field = gitField + ".ref.commit"
		if !hexRevision.MatchString(w.commit) {
			return w, fmt.Errorf("%s: %q is not a commit hash; give the full 40-digit hash (git rev-parse HEAD)", w.field, ref.Commit)
		}
	case ref.Tag != "":
		w.field = gitField + ".ref.tag"
	case ref.Branch != "":
		w.field = gitField + ".ref.branch"
	default:
		w.field = gitField + ".ref.branch"
	}
	return w, nil
}

// localPath says whether url names a repository on this machine, and where.
func localPath(raw string) (string, bool, error) {
	if strings.HasPrefix(raw, "file://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", false, fmt.Errorf("%s.url %q: %v; write file:///absolute/path", gitField, raw, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", false, fmt.Errorf("%s.url %q: a file:// URL names this machine only; write file:///absolute/path", gitField, raw)
		}
		return u.Path, true, nil
	}
	if strings.Contains(raw, "://") {
		scheme := raw[:strings.Index(raw, "://")]
		switch scheme {
		case "http", "https", "git", "ssh":
			return "", false, nil
		}
		return "", false, fmt.Errorf("%s.url %q: scheme %s is not supported; use https://, http://, git://, ssh://, file:// or a local path", gitField, raw, scheme)
	}
	// user@host:path is scp-like ssh; anything else is a path.
	if at, colon := strings.Index(raw, "@"), strings.Index(raw, ":"); at > 0 && colon > at && !strings.Contains(raw[:at], "/") {
		return "", false, nil
	}
	return raw, true, nil
}

func gitAuth(rawURL string, creds *Credentials) (transport.AuthMethod, error) {
	if creds.empty() {
		return nil, nil
	}
	ep, err := transport.NewEndpoint(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%s.url %q: %w", gitField, rawURL, err)
	}
	switch ep.Protocol {
	case "http", "https":
		if creds.BearerToken != "" {
			return &githttp.TokenAuth{Token: creds.BearerToken}, nil
		}
		return &githttp.BasicAuth{Username: creds.Username, Password: creds.Password}, nil
	case "ssh":
		if creds.Password == "" {
			return nil, fmt.Errorf("%s.secretRef: ssh:// takes a username and password here (no keys); set them in the Secret, or use an https:// URL", gitField)
		}
		user := creds.Username
		if user == "" {
			user = ep.User
		}
		return &gitssh.Password{User: user, Password: creds.Password}, nil
	}
	return nil, nil // git:// has no authentication
}

// cloneRemote lists the remote's references, picks the wanted one and
// clones it into memory.
func cloneRemote(ctx context.Context, rawURL string, want gitWant, creds *Credentials) (*git.Repository, error) {
	auth, err := gitAuth(rawURL, creds)
	if err != nil {
		return nil, err
	}
	remote := git.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: "origin", URLs: []string{rawURL}})
	listed, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return nil, remoteError(rawURL, err)
	}
	refs := refSet{}
	for _, r := range listed {
		switch {
		case r.Name().IsBranch():
			refs.branches = append(refs.branches, r.Name().Short())
		case r.Name().IsTag():
			refs.tags = append(refs.tags, r.Name().Short())
		}
	}
	opts := &git.CloneOptions{URL: rawURL, Auth: auth, Tags: git.NoTags}
	if want.commit != "" {
		// The commit may be anywhere in the history: clone it all, from
		// the branch ref names when it names only a branch.
		if want.tag == "" && want.branch != "" && refs.hasBranch(want.branch) {
			opts.ReferenceName = plumbing.NewBranchReferenceName(want.branch)
			opts.SingleBranch = true
		} else {
			opts.Tags = git.AllTags
		}
	} else {
		name, err := refs.pick(want, rawURL)
		if err != nil {
			return nil, err
		}
		opts.ReferenceName = name
		opts.SingleBranch = true
		opts.Depth = 1
	}
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, opts)
	if err != nil {
		return nil, remoteError(rawURL, err)
	}
	return repo, nil
}

func remoteError(rawURL string, err error) error {
	where := redactURL(rawURL)
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%s.url: no repository at %s; check the URL: %w", gitField, where, err)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%s.url: the repository at %s has no commits; push one: %w", gitField, where, err)
	case errors.Is(err, transport.ErrAuthenticationRequired):
		return fmt.Errorf("%s: %s asks for credentials; set %s.secretRef to a Secret with username and password (or bearerToken): %w", gitField, where, gitField, err)
	case errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%s: %s refused the credentials; "+secretRefHint+": %w", gitField, where, gitField, err)
	}
	return fmt.Errorf("%s: fetch %s: %w", gitField, where, err)
}

// refSet is the branches and tags a repository has, for picking a ref and
// for naming what exists when the wanted one does not.
type refSet struct{ branches, tags []string }

func (r refSet) hasBranch(name string) bool { return contains(r.branches, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// pick returns the reference for a tag or branch want.
func (r refSet) pick(want gitWant, where string) (plumbing.ReferenceName, error) {
	where = redactURL(where)
	switch {
	case want.tag != "":
		if !contains(r.tags, want.tag) {
			return "", fmt.Errorf("%s: tag %q not found in %s; tags there: %s; set it to one of them", want.field, want.tag, where, listOf(r.tags))
		}
		return plumbing.NewTagReferenceName(want.tag), nil
	case want.branch != "":
		if !r.hasBranch(want.branch) {
			return "", fmt.Errorf("%s: branch %q not found in %s; branches there: %s; set it to one of them", want.field, want.branch, where, listOf(r.branches))
		}
		return plumbing.NewBranchReferenceName(want.branch), nil
	}
	for _, b := range defaultBranches {
		if r.hasBranch(b) {
			return plumbing.NewBranchReferenceName(b), nil
		}
	}
	return "", fmt.Errorf("%s: unset, and %s has neither a master nor a main branch; branches there: %s; set ref.branch (or ref.tag, ref.commit)", want.field, where, listOf(r.branches))
}

// localRefs lists the branches and tags of an opened repository.
func localRefs(repo *git.Repository) (refSet, error) {
	var refs refSet
	iter, err := repo.References()
	if err != nil {
		return refs, err
	}
	err = iter.ForEach(func(r *plumbing.Reference) error {
		switch {
		case r.Name().IsBranch():
			refs.branches = append(refs.branches, r.Name().Short())
		case r.Name().IsTag():
			refs.tags = append(refs.tags, r.Name().Short())
		}
		return nil
	})
	return refs, err
}

// resolveCommit finds the wanted commit in repo (a memory clone of just
// that ref, or a local repository with all of its refs).
func resolveCommit(repo *git.Repository, want gitWant, rawURL string) (*object.Commit, error) {
	if want.commit != "" {
		return findCommit(repo, want, rawURL)
	}
	refs, err := localRefs(repo)
	if err != nil {
		return nil, fmt.Errorf("%s: list references of %s: %w", gitField, redactURL(rawURL), err)
	}
	name, err := refs.pick(want, rawURL)
	if err != nil {
		return nil, err
	}
	ref, err := repo.Reference(name, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %s in %s: %w", want.field, name.Short(), redactURL(rawURL), err)
	}
	return peelToCommit(repo, ref.Hash(), name.Short(), want.field)
}

// peelToCommit follows annotated tags down to the commit.
func peelToCommit(repo *git.Repository, h plumbing.Hash, name, field string) (*object.Commit, error) {
	for range 10 {
		tag, err := repo.TagObject(h)
		if err != nil {
			break
		}
		if tag.TargetType != plumbing.CommitObject && tag.TargetType != plumbing.TagObject {
			return nil, fmt.Errorf("%s: %s points at a %s, not a commit; name a tag of a commit", field, name, tag.TargetType)
		}
		h = tag.Target
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %s does not lead to a commit (%v); name a branch, a tag of a commit, or a commit", field, name, err)
	}
	return c, nil
}

// findCommit looks a commit up by its full hash or a unique prefix.
func findCommit(repo *git.Repository, want gitWant, rawURL string) (*object.Commit, error) {
	where := redactURL(rawURL)
	if len(want.commit) == 40 {
		c, err := repo.CommitObject(plumbing.NewHash(want.commit))
		if err != nil {
			return nil, fmt.Errorf("%s: commit %s not found in %s%s (%v); give a commit the repository still has", want.field, want.commit, where, branchScope(want), err)
		}
		return c, nil
	}
	iter, err := repo.CommitObjects()
	if err != nil {
		return nil, fmt.Errorf("%s: read the commits of %s: %w", want.field, where, err)
	}
	var found []*object.Commit
	err = iter.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), want.commit) {
			found = append(found, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: read the commits of %s: %w", want.field, where, err)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: no commit %s… in %s%s; give a commit the repository still has", want.field, want.commit, where, branchScope(want))
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%s: %s is the start of %d commits in %s; give more digits of the hash", want.field, want.commit, len(found), where)
}

func branchScope(want gitWant) string {
	if want.tag == "" && want.branch != "" {
		return " (history of branch " + want.branch + ")"
	}
	return ""
}

// commitFiles reads every regular file of the commit's tree, within the
// size limit.
func commitFiles(ctx context.Context, c *object.Commit) (map[string][]byte, error) {
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("%s: read the tree of commit %s: %w", gitField, c.Hash, err)
	}
	budget := sizeBudget{field: gitField, what: "the files of commit " + short(c.Hash.String(), 12)}
	files := map[string][]byte{}
	err = tree.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if f.Mode != filemode.Regular && f.Mode != filemode.Executable && f.Mode != filemode.Deprecated {
			return nil // symlinks: their target is not content
		}
		if err := budget.add(f.Name, f.Size); err != nil {
			return err
		}
		r, err := f.Reader()
		if err != nil {
			return fmt.Errorf("%s: read %s at %s: %w", gitField, f.Name, c.Hash, err)
		}
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, f.Size))
		if err != nil {
			return fmt.Errorf("%s: read %s at %s: %w", gitField, f.Name, c.Hash, err)
		}
		files[f.Name] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: commit %s has no files; commit the application's YAML or chart", gitField, short(c.Hash.String(), 12))
	}
	return files, nil
}
