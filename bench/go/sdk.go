//go:build !imds_binding

package main

import (
	"context"
	"io"

	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

func init() {
	clients["aws-sdk-go-v2"] = sdkClient
}

func sdkClient(endpoint string) (read, creds op, err error) {
	// Defaults as the SDK builds them; only the endpoint differs.
	client := imds.New(imds.Options{Endpoint: endpoint})
	provider := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client })
	read = func(ctx context.Context) error {
		out, err := client.GetMetadata(ctx, &imds.GetMetadataInput{Path: readPath})
		if err != nil {
			return err
		}
		defer out.Content.Close()
		_, err = io.ReadAll(out.Content)
		return err
	}
	creds = func(ctx context.Context) error {
		_, err := provider.Retrieve(ctx)
		return err
	}
	return read, creds, nil
}
