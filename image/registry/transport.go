package registry

import (
	"fmt"
	"net/http"
)

// guardedTransport refuses plain http to any registry that is neither on
// loopback nor listed as insecure: go-containerregistry itself would also
// speak http to private (RFC 1918) addresses, where credentials and layers
// would cross a network in the clear.
type guardedTransport struct {
	base      http.RoundTripper
	plainHTTP func(host string) bool
}

func (t guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.plainHTTP(req.URL.Host) {
		return nil, fmt.Errorf("refusing plain http to %s: not a loopback address (list it in MYDOCKER_INSECURE_REGISTRIES to allow)", req.URL.Host)
	}
	return t.base.RoundTrip(req)
}

func (c *Client) transport() http.RoundTripper {
	return guardedTransport{base: http.DefaultTransport, plainHTTP: c.plainHTTP}
}
