package imds_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	imds "example.invalid/imds/bindings-c/go"
)

// The quick start of the README. Settings not made in Options come from the AWS
// variables and profile; the tests point AWS_EC2_METADATA_SERVICE_ENDPOINT at the
// emulator.
func Example() {
	client, err := imds.New(imds.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	region, err := client.Region(ctx)
	if err != nil {
		log.Fatal(err)
	}
	doc, err := client.IdentityDocument(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.InstanceType, "in", region)
	// Output: m5.large in us-east-1
}

func ExampleClient_GetMetadata() {
	client, err := imds.New(imds.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	_, err = client.GetMetadata(context.Background(), "no/such/item")
	var e *imds.Error
	if errors.Is(err, imds.ErrNotFound) && errors.As(err, &e) {
		fmt.Println(e.Kind, e.Code, e.StatusCode)
	}
	// Output: not_found 8 404
}

func ExampleClient_SpotInstanceAction() {
	client, err := imds.New(imds.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	action, err := client.SpotInstanceAction(context.Background())
	switch {
	case err != nil:
		log.Fatal(err)
	case action == nil:
		fmt.Println("no interruption scheduled")
	default:
		fmt.Println("interruption:", action.Action, "at", action.Time)
	}
	// Output: no interruption scheduled
}
