// Package crd embeds the generated CustomResourceDefinitions of every Kurator
// API group (regenerate them with `make generate`).
package crd

import (
	"bufio"
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

//go:embed *.yaml
var files embed.FS

// CRDs decodes every embedded CRD, in file name order. It fails only when a
// generated file is corrupt, which `make generate` fixes.
func CRDs() ([]apiextensionsv1.CustomResourceDefinition, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list embedded CRDs: %w", err)
	}
	sort.Strings(names)
	var out []apiextensionsv1.CustomResourceDefinition
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded CRD %s: %w", name, err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("read embedded CRD %s: %w; run make generate", name, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 || string(bytes.TrimSpace(doc)) == "---" {
				continue
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := yaml.UnmarshalStrict(doc, &crd); err != nil {
				return nil, fmt.Errorf("decode embedded CRD %s: %w; run make generate", name, err)
			}
			out = append(out, crd)
		}
	}
	return out, nil
}

// MustCRDs is CRDs for callers that treat a corrupt build as a bug.
func MustCRDs() []apiextensionsv1.CustomResourceDefinition {
	crds, err := CRDs()
	if err != nil {
		panic(err)
	}
	return crds
}
