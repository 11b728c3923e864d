package graph

// gqlgen finds ../gqlgen.yml by searching upwards and runs from the module root.
//go:generate go tool gqlgen generate
