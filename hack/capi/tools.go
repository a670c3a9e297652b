//go:build tools

package capi

// The types the CRDs are generated from.
import (
	_ "sigs.k8s.io/cluster-api/api/core/v1beta1"
	_ "sigs.k8s.io/cluster-api/api/core/v1beta2"
)
