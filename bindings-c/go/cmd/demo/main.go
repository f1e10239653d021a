// Command demo shows the Go package the way a node agent uses it: where it runs, its role
// credentials and user-data, a watch for a spot interruption that ends cleanly on SIGINT,
// and the identity document checked against the signing certificate.
//
//	demo [-poll 1s] [-polls 30] [-cert FILE] [-audit]
//
// Settings come from the usual AWS variables and profile, so the same binary runs on EC2
// and, with AWS_EC2_METADATA_SERVICE_ENDPOINT set, against the emulator. It prints the
// lines every language's demo prints (`instance-id:`, `region:`, `credentials:`,
// `user-data:`, `spot:`, `signature:`), which `make demo` lays side by side.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	imds "example.invalid/imds/bindings-c/go"
)

func main() {
	poll := flag.Duration("poll", time.Second, "time between spot notice polls")
	polls := flag.Int("polls", 30, "polls before giving up on a spot notice")
	cert := flag.String("cert", os.Getenv("IMDS_EMULATOR_CERT"),
		"PEM certificate that signed the identity document (default $IMDS_EMULATOR_CERT)")
	audit := flag.Bool("audit", false, "log every IMDS access to stderr")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *poll, *polls, *cert, *audit); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, poll time.Duration, polls int, cert string, audit bool) error {
	opts := imds.Options{}
	if audit {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	client, err := imds.New(opts)
	if err != nil {
		return err
	}
	defer client.Close()

	doc, err := client.IdentityDocument(ctx)
	if err != nil {
		return err
	}
	region, err := client.Region(ctx)
	if err != nil {
		return err
	}
	fmt.Println("instance-id:", doc.InstanceID)
	fmt.Println("region:", region)

	creds, err := client.Credentials(ctx)
	switch {
	case errors.Is(err, imds.ErrNotFound):
		fmt.Println("credentials: none (no IAM role attached)")
	case err != nil:
		return err
	default:
		fmt.Printf("credentials: role=%s access_key_id=%s secret=<redacted> expires=%s\n",
			creds.Role, creds.AccessKeyID, creds.Expiration.UTC().Format(time.RFC3339))
	}

	// User-data often holds secrets: only its size is shown.
	userData, err := client.UserData(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("user-data: %d bytes\n", len(userData))

	if err := watchSpot(ctx, client, poll, polls); err != nil {
		return err
	}

	if cert == "" {
		fmt.Println("signature: not checked (no certificate given)")
		return nil
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		return err
	}
	if _, err := client.VerifiedIdentityDocument(ctx, string(pem)); err != nil {
		return err
	}
	fmt.Println("signature: verified")
	return nil
}

// watchSpot polls for a spot interruption notice until one appears, polls run out, or
// SIGINT arrives; each poll has its own deadline so a stalled endpoint cannot hang it.
func watchSpot(ctx context.Context, client *imds.Client, poll time.Duration, polls int) error {
	for i := 1; i <= polls; i++ {
		callCtx, cancel := context.WithTimeout(ctx, poll+time.Second)
		action, err := client.SpotInstanceAction(callCtx)
		cancel()
		if errors.Is(err, context.Canceled) {
			fmt.Println("spot: interrupted")
			return nil
		}
		if err != nil {
			return err
		}
		if action != nil {
			fmt.Printf("spot: %s at %s\n", action.Action, action.Time.UTC().Format(time.RFC3339))
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Println("spot: interrupted")
			return nil
		case <-time.After(poll):
		}
	}
	fmt.Printf("spot: no notice after %d polls\n", polls)
	return nil
}
