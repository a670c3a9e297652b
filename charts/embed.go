// Package charts embeds the Helm charts of this repository. kurator/ is the
// chart of the hub manager; `kurator install center-manager` renders it from
// here, so the CLI and `helm install charts/kurator` create the same objects.
package charts

import "embed"

// FS holds kurator/ with every file (all: keeps .helmignore and _helpers.tpl).
//
//go:embed all:kurator
var FS embed.FS
