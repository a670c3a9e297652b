package apply

import (
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// MemberFromConfig builds the clients of the member cfg reaches: a dynamic
// client and a cached, discovery-based RESTMapper (as member.Registry builds
// them for push clusters).
func MemberFromConfig(name string, cfg *rest.Config) (Member, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return Member{}, fmt.Errorf("cluster %s: build dynamic client for %s: %w", name, cfg.Host, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return Member{}, fmt.Errorf("cluster %s: build discovery client for %s: %w", name, cfg.Host, err)
	}
	return Member{
		Name:    name,
		Dynamic: dyn,
		Mapper:  restmapper.NewDeferredDiscoveryRESTMapperWithContext(memory.NewMemCacheClientWithContext(disc)),
	}, nil
}
