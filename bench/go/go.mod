module imds-bench-go

go 1.26.8

require (
	example.invalid/imds/bindings-c/go v0.0.0
	github.com/aws/aws-sdk-go-v2/credentials v1.21.2
	github.com/aws/aws-sdk-go-v2/feature/ec2/imds v1.20.9
)

require (
	github.com/aws/aws-sdk-go-v2 v1.48.0 // indirect
	github.com/aws/smithy-go v1.28.9 // indirect
)

// This project's Go package, from the tree: the bench measures the code being worked on.
replace example.invalid/imds/bindings-c/go => ../../bindings-c/go
