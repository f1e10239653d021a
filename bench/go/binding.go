//go:build imds_binding

package main

import (
	"context"

	imds "example.invalid/imds/bindings-c/go"
)

func init() {
	clients["imds"] = bindingClient
}

// bindingClient is this project's Go package, linked against the release libimds.a that
// mk/bench.mk names in CGO_LDFLAGS (build tag imds_custom_link).
func bindingClient(endpoint string) (read, creds op, err error) {
	// Library defaults; only the endpoint differs. The client lives as long as the process.
	client, err := imds.New(imds.Options{Endpoint: endpoint})
	if err != nil {
		return nil, nil, err
	}
	read = func(ctx context.Context) error {
		_, err := client.GetMetadata(ctx, readPath)
		return err
	}
	creds = func(ctx context.Context) error {
		_, err := client.Credentials(ctx)
		return err
	}
	return read, creds, nil
}
