package image

import (
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// DockerHub is docker's default registry, where a bare `busybox` is looked
// for unless MYDOCKER_REGISTRY names another.
const DockerHub = name.DefaultRegistry

// Registries says where unqualified references go and which registries may
// be spoken to in plain http.
type Registries struct {
	// Default is the registry of a reference without one ("busybox").
	Default string
	// Insecure lists registries (host[:port]) reached over plain http;
	// loopback ones always are.
	Insecure []string
}

// RegistriesFromEnv reads MYDOCKER_REGISTRY (the default registry) and
// MYDOCKER_INSECURE_REGISTRIES (comma-separated host[:port] list).
func RegistriesFromEnv() Registries {
	r := Registries{Default: os.Getenv("MYDOCKER_REGISTRY")}
	if r.Default == "" {
		r.Default = DockerHub
	}
	for _, h := range strings.Split(os.Getenv("MYDOCKER_INSECURE_REGISTRIES"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			r.Insecure = append(r.Insecure, h)
		}
	}
	return r
}

// Parse turns a user's image reference into a full one, with docker's
// defaults: the default registry, library/ for one-word names on Docker
// Hub, and the tag latest.
func (r Registries) Parse(ref string) (name.Reference, error) {
	if ref == "" {
		return nil, fmt.Errorf("empty image reference")
	}
	parsed, err := name.ParseReference(ref, name.WithDefaultRegistry(r.Default), name.StrictValidation)
	if err != nil {
		// StrictValidation refuses a missing tag: try again with latest.
		parsed, err = name.ParseReference(ref, name.WithDefaultRegistry(r.Default))
	}
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: want [REGISTRY/]NAME[:TAG] or NAME@sha256:DIGEST, the name in lower case", ref)
	}
	if r.listedInsecure(parsed.Context().RegistryStr()) {
		// Parse again so that go-containerregistry speaks plain http to it.
		return name.ParseReference(parsed.Name(), name.Insecure)
	}
	return parsed, nil
}

// plainHTTP reports whether host may be spoken to in plain http: a
// loopback address or name, or a registry the user listed as insecure.
func (r Registries) plainHTTP(host string) bool {
	if r.listedInsecure(host) {
		return true
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(hostname, "[]"))
	return ip != nil && ip.IsLoopback()
}

// Familiar is how docker shows a repository: without the default
// registry, and without library/ on Docker Hub.
func (r Registries) Familiar(repo name.Repository) string {
	reg := repo.RegistryStr()
	path := repo.RepositoryStr()
	if reg != r.Default && !(r.Default == DockerHub && reg == "docker.io") {
		return reg + "/" + path
	}
	if reg == DockerHub {
		path = strings.TrimPrefix(path, "library/")
	}
	return path
}

// LooksQualified reports whether word can only be an image reference, not
// a command: it has a tag, a digest or a registry.
func LooksQualified(word string) bool {
	return strings.ContainsAny(word, ":@") || strings.Contains(word, "/")
}

func (r Registries) listedInsecure(host string) bool {
	for _, h := range r.Insecure {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}
