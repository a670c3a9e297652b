//go:build tools

// Package tools pins the Helm command the Helm e2e test drives against the
// hub. Helm 4's --wait judges readiness with kstatus (as Flux does), which
// is what the hub's aggregated status is made to satisfy; Helm 3's --wait
// needs ReplicaSets on the hub and cannot work against it (docs/hub-status.md).
// Listing the command here keeps go.sum complete for it.
package tools

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
