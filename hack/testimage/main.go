// Command testimage writes the MES test image (built from the files in
// internal/testimage/images, no registry or Docker needed) as a
// `docker save` tarball, for trying AppHub's image sync:
//
//	go run ./hack/testimage -o mes-system.tar mes-system:v1.2
//	bin/kurator app push mes:v1.2 -f DIR --image mes-system:v1.2=mes-system.tar
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/kurator-go/kurator/internal/testimage"
)

func main() {
	out := flag.String("o", "", "tarball to write (default NAME-TAG.tar)")
	mib := flag.Int("filler-mib", 0, "add this many MiB of deterministic filler layers (for throughput tries)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./hack/testimage [-o FILE] [-filler-mib N] NAME:TAG   (e.g. mes-system:v1.2)")
		flag.PrintDefaults()
	}
	flag.Parse()
	name, tag, ok := strings.Cut(flag.Arg(0), ":")
	if flag.NArg() != 1 || !ok || name == "" || tag == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *out == "" {
		*out = name + "-" + tag + ".tar"
	}
	digest, err := testimage.WriteTarball(*out, testimage.Options{Name: name, Tag: tag, FillerMiB: *mib})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (%s:%s, %s)\n", *out, name, tag, digest)
}
