package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// inputExtensions are the files a directory contributes.
var inputExtensions = []string{".yaml", ".yml", ".json"}

// Load reads and merges files. A directory contributes its *.yaml, *.yml and
// *.json files (not subdirectories) in name order, so a plan over a
// directory is as repeatable as one over a file list.
func Load(paths ...string) (*Input, error) {
	in := &Input{}
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", f, err)
			}
			part, err := Parse(f, data)
			if err != nil {
				return nil, err
			}
			if err := in.Merge(part); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// expand turns a path into the files to read.
func expand(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !slices.Contains(inputExtensions, strings.ToLower(filepath.Ext(e.Name()))) {
			continue
		}
		files = append(files, filepath.Join(path, e.Name()))
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("directory %s holds no .yaml, .yml or .json file", path)
	}
	return files, nil // os.ReadDir returns entries sorted by name
}
