module example.invalid/imds/bindings-c/go

go 1.22
