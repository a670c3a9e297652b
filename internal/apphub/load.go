package apphub

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/ignore"

	appsv1alpha1 "github.com/kurator-go/kurator/api/apps/v1alpha1"
	"github.com/kurator-go/kurator/pkg/apphub"
)

// LoadPath reads a package from disk:
//
//   - a directory with Chart.yaml: a Helm chart (every file, less what its
//     .helmignore and Helm's defaults ignore);
//   - any other directory: its .yaml, .yml and .json files, at any depth
//     (directories whose names start with '.', such as .git, are skipped),
//     so that only what renders is in the content and its digest;
//   - a single .yaml, .yml or .json file;
//   - a chart archive (.tgz or .tar.gz, as helm package writes it: the
//     chart's directory at the top is removed).
func LoadPath(path string) (apphub.Package, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read package %s: %w: give a directory of YAML files, a chart directory, a YAML file or a chart .tgz", path, err)
	}
	switch {
	case fi.IsDir():
		if _, err := os.Stat(filepath.Join(path, "Chart.yaml")); err == nil {
			return loadChartDir(path)
		}
		return loadManifestDir(path)
	case !fi.Mode().IsRegular():
		return apphub.Package{}, fmt.Errorf("read package %s: not a regular file or a directory: give a directory of YAML files, a chart directory, a YAML file or a chart .tgz", path)
	case isArchive(path):
		return loadArchive(path)
	case isManifest(path):
		data, err := os.ReadFile(path)
		if err != nil {
			return apphub.Package{}, fmt.Errorf("read package %s: %w", path, err)
		}
		return apphub.Package{Format: appsv1alpha1.FormatManifests, Files: map[string][]byte{filepath.Base(path): data}}, nil
	}
	return apphub.Package{}, fmt.Errorf("read package %s: not YAML (.yaml, .yml, .json) nor a chart archive (.tgz, .tar.gz): give one of those or a directory", path)
}

func isArchive(path string) bool {
	lower := strings.ToLower(path)
	return strings.HasSuffix(lower, ".tgz") || strings.HasSuffix(lower, ".tar.gz")
}

func isManifest(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func loadManifestDir(dir string) (apphub.Package, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isManifest(p) {
			return nil
		}
		return readInto(files, dir, p)
	})
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read package %s: %w", dir, err)
	}
	if len(files) == 0 {
		return apphub.Package{}, fmt.Errorf("read package %s: the directory has no .yaml, .yml or .json file and no Chart.yaml: add the application's YAML or give its chart directory", dir)
	}
	return apphub.Package{Format: appsv1alpha1.FormatManifests, Files: files}, nil
}

func loadChartDir(dir string) (apphub.Package, error) {
	rules := ignore.Empty()
	if _, err := os.Stat(filepath.Join(dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.ParseFile(filepath.Join(dir, ignore.HelmIgnore)); err != nil {
			return apphub.Package{}, fmt.Errorf("read chart %s: %s: %w", dir, ignore.HelmIgnore, err)
		}
	}
	rules.AddDefaults()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if rules.Ignore(filepath.ToSlash(rel), fi) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		return readInto(files, dir, p)
	})
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read chart %s: %w", dir, err)
	}
	return apphub.Package{Format: appsv1alpha1.FormatHelmChart, Files: files}, nil
}

// readInto reads the regular file p (a symlink to one is followed) into
// files under its slash path relative to root.
func readInto(files map[string][]byte, root, p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file: remove it from the package directory", p)
	}
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	files[filepath.ToSlash(rel)] = data
	return nil
}

func loadArchive(path string) (apphub.Package, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read package %s: %w", path, err)
	}
	p, err := apphub.Unbundle(data)
	if err != nil {
		return apphub.Package{}, fmt.Errorf("read package %s: %w: give a chart archive made by helm package", path, err)
	}
	files := stripTopDir(p.Files)
	return apphub.Package{Format: apphub.DetectFormat(files), Files: files}, nil
}

// stripTopDir removes the one directory every file is under (a chart
// archive's chart name), unless the root already holds a Chart.yaml.
func stripTopDir(files map[string][]byte) map[string][]byte {
	if _, ok := files["Chart.yaml"]; ok {
		return files
	}
	top := ""
	for name := range files {
		dir, _, found := strings.Cut(name, "/")
		if !found || (top != "" && dir != top) {
			return files
		}
		top = dir
	}
	stripped := make(map[string][]byte, len(files))
	for name, content := range files {
		stripped[strings.TrimPrefix(name, top+"/")] = content
	}
	return stripped
}
