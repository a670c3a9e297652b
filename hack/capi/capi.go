// Package capi is a tools module: it pins sigs.k8s.io/cluster-api/api and
// controller-gen and generates crds/, the Cluster API CRDs the NodePool
// tests install in the hub. The root module does not depend on Cluster API.
package capi

//go:generate bash generate.sh
