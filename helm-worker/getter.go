package main

import (
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

// memGetter is the helm CLI's getter (ConfigFlags) with its discovery cached
// in memory for one request instead of on disk (~/.kube/cache). Helm
// invalidates discovery at the start of every action, so the disk cache
// served nothing across requests; it only cost a temporary file and a rename
// per group-version per request (a tenth of the worker's CPU), and wants a
// writable home. The REST mapper is the one ConfigFlags builds, over it.
type memGetter struct {
	*genericclioptions.ConfigFlags
	once   sync.Once
	dc     discovery.CachedDiscoveryInterface
	mapper meta.RESTMapper
	err    error
}

func (g *memGetter) init() {
	g.once.Do(func() {
		cfg, err := g.ToRESTConfig()
		if err != nil {
			g.err = err
			return
		}
		cfg.Burst = 300 // ConfigFlags' discovery burst
		d, err := discovery.NewDiscoveryClientForConfig(cfg)
		if err != nil {
			g.err = err
			return
		}
		g.dc = memory.NewMemCacheClient(d)
		g.mapper = restmapper.NewShortcutExpander(restmapper.NewDeferredDiscoveryRESTMapper(g.dc), g.dc, nil)
	})
}

func (g *memGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	g.init()
	return g.dc, g.err
}

func (g *memGetter) ToRESTMapper() (meta.RESTMapper, error) {
	g.init()
	return g.mapper, g.err
}
