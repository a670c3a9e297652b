//go:build tools

// Package tools pins the CNCF distribution registry that the image-sync
// tests, the benches and `kurator up --registries` run on loopback (one
// registry for AppHub, one per member cluster). Listing the command here
// keeps go.sum complete for it; hack/registry/build.sh builds it once into
// the cache.
package tools

import (
	_ "github.com/distribution/distribution/v3/cmd/registry"
)
