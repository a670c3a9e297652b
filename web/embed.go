// Package web holds the dashboard's built frontend (a Vite + React app whose
// sources are in this folder). `npm run build` writes it into dist/; the
// dashboard server serves fs.Sub(Dist, "dist"). dist/.gitignore is
// committed so the package compiles on a fresh clone without a build.
package web

import "embed"

// Dist is the built frontend: dist/index.html and dist/assets/*.
//
//go:embed all:dist
var Dist embed.FS
