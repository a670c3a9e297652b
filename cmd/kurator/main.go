// Command kurator is the CLI of Kurator: it runs a local fleet, joins clusters,
// plans placements offline and inspects what the hub decided.
package main

import (
	"os"

	"github.com/kurator-go/kurator/cmd/kurator/app"
)

func main() {
	if err := app.NewRootCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
