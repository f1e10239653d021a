//go:build !imds_custom_link

package imds

// By default the package links the static library that `make build-c` stages in the
// repository's target directory, so a Go binary needs nothing installed beside it. To
// link a libimds.a from elsewhere, build with `-tags imds_custom_link` and give its
// location in CGO_LDFLAGS, for example:
//
//	CGO_LDFLAGS="/opt/imds/lib/libimds.a -lpthread -ldl -lm -lrt -lutil" \
//	    go build -tags imds_custom_link ./...
//
// The libraries after libimds.a are what the Rust standard library inside it uses.

// #cgo LDFLAGS: ${SRCDIR}/../../target/imds-c/lib/libimds.a -lpthread -ldl -lm -lrt -lutil
import "C"
