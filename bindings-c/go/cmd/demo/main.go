// Command demo shows the Go package the way a node agent uses it: where it runs, its
// role credentials, then a watch for a spot interruption that ends cleanly on SIGINT.
//
//	demo [-poll 5s] [-polls 12] [-audit]
//
// Settings come from the usual AWS variables and profile, so the same binary runs on
// EC2 and, with AWS_EC2_METADATA_SERVICE_ENDPOINT set, against the emulator.
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
	poll := flag.Duration("poll", 5*time.Second, "time between spot notice polls")
	polls := flag.Int("polls", 12, "polls before giving up")
	audit := flag.Bool("audit", false, "log every IMDS access to stderr")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *poll, *polls, *audit); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, poll time.Duration, polls int, audit bool) error {
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
	fmt.Printf("instance %s (%s) in %s, zone %s\n", doc.InstanceID, doc.InstanceType, region,
		doc.AvailabilityZone)

	creds, err := client.Credentials(ctx)
	switch {
	case errors.Is(err, imds.ErrNotFound):
		fmt.Println("no IAM role attached")
	case err != nil:
		return err
	default:
		// Printing the struct is safe: the secret key and token redact themselves.
		fmt.Printf("credentials: %+v\n", *creds)
	}

	for i := 1; i <= polls; i++ {
		callCtx, cancel := context.WithTimeout(ctx, poll)
		action, err := client.SpotInstanceAction(callCtx)
		cancel()
		if errors.Is(err, context.Canceled) {
			fmt.Println("interrupted")
			return nil
		}
		if err != nil {
			return err
		}
		if action != nil {
			fmt.Printf("spot interruption: %s at %s: draining now\n", action.Action,
				action.Time.Format(time.RFC3339))
			return nil
		}
		fmt.Printf("poll %d: no spot notice\n", i)
		select {
		case <-ctx.Done():
			fmt.Println("interrupted")
			return nil
		case <-time.After(poll):
		}
	}
	return nil
}
