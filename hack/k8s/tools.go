//go:build tools

// Package tools pins the Kubernetes commands the local fleet runs. Listing them
// here keeps go.sum complete for every command we build (see
// ../../../shared/notes/local-fleet-facts.md).
package tools

import (
	_ "go.etcd.io/etcd/server/v3/embed"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
