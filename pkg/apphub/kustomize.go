package apphub

import (
	"fmt"
	"path"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomizationFiles are the names kustomize reads in a directory.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// kustomize builds the kustomization at root, as Flux's Kustomization does
// when the path holds one (without one, every YAML file under the path is
// read instead). It runs on the package's files in memory: bases and
// resources outside the package, remote ones included, are not reachable.
func (p Package) kustomize(root, file string) ([]document, error) {
	fs := filesys.MakeFsInMemory()
	for name, content := range p.Files {
		if err := fs.MkdirAll(path.Dir("/" + name)); err != nil {
			return nil, err
		}
		if err := fs.WriteFile("/"+name, content); err != nil {
			return nil, err
		}
	}
	where := path.Join(root, file)
	opts := krusty.MakeDefaultOptions()
	resources, err := krusty.MakeKustomizer(opts).Run(fs, "/"+root)
	if err != nil {
		return nil, fmt.Errorf("kustomize build of %s: %w (fix the kustomization, or remove it to read every YAML file under the path)", where, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build of %s: %w", where, err)
	}
	return parseDocuments("kustomize build "+where, out, false)
}
