package image

import (
	"os"
	"strings"
)

// How references are shown and matched here, without parsing them: the
// store only ever holds full references that package registry normalised
// with go-containerregistry when it pulled or tagged them
// ("registry/path:tag"), and mydocker's own process does not link that
// library (its package initialisation alone would cost every one-shot
// command more than the image store is allowed). A user's word that is
// none of a stored reference's spellings is simply not found here; the
// library then judges it when the word is pulled.

// DockerHub is docker's default registry, where a bare `busybox` is looked
// for unless MYDOCKER_REGISTRY names another.
const DockerHub = "index.docker.io"

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

// splitRef cuts a full reference into registry, repository path and the
// rest (":tag" or "@sha256:...").
func splitRef(full string) (registry, path, rest string) {
	registry, path, _ = strings.Cut(full, "/")
	if i := strings.IndexByte(path, '@'); i >= 0 {
		return registry, path[:i], path[i:]
	}
	if i := strings.LastIndexByte(path, ':'); i >= 0 {
		return registry, path[:i], path[i:]
	}
	return registry, path, ""
}

func (r Registries) isDefault(registry string) bool {
	if r.Default == DockerHub || r.Default == "docker.io" {
		return registry == DockerHub || registry == "docker.io"
	}
	return registry == r.Default
}

// repoSpellings are the ways a user may write a full repository name:
// itself, and without the default registry (and library/ on Docker Hub).
func (r Registries) repoSpellings(repo string) []string {
	registry, path, _ := splitRef(repo + ":x")
	out := []string{repo}
	if registry == DockerHub {
		out = append(out, "docker.io/"+path)
	}
	if r.isDefault(registry) {
		out = append(out, path)
		if short, ok := strings.CutPrefix(path, "library/"); ok && (registry == DockerHub || registry == "docker.io") {
			out = append(out, short)
		}
	}
	return out
}

// familiarRepo is a full repository as docker shows it.
func (r Registries) familiarRepo(repo string) string {
	s := r.repoSpellings(repo)
	return s[len(s)-1]
}

// Display is a full reference as docker shows it: busybox:latest,
// myreg:5000/app:1, bb@sha256:...
func (s *Store) Display(full string) string {
	if full == "" {
		return "<none>"
	}
	registry, path, rest := splitRef(full)
	return s.Registries.familiarRepo(registry+"/"+path) + rest
}

// DisplayRepo is a full repository name as docker shows it.
func (s *Store) DisplayRepo(repo string) string { return s.Registries.familiarRepo(repo) }

// LooksQualified reports whether word can only be an image reference, not
// a command: it has a tag, a digest or a registry.
func LooksQualified(word string) bool {
	return strings.ContainsAny(word, ":@/")
}
