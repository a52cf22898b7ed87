package main

import (
	"context"
	"sync"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// releaseListCache answers the release queries of one request (one action
// on one release) from one LIST. Helm's storage lists a release's Secrets by
// label for each question it asks (its history, its last revision, its
// deployed one, what to prune): four LISTs in an upgrade. Here the first
// query of a release lists all its Secrets (name=X,owner=helm); later ones
// (a status= added) are matched against that list, which the request's own
// writes keep current. A request lives for one action, and berth runs one
// action per release at a time, as one helm process would; any other list
// goes to the API server.
type releaseListCache struct {
	corev1.SecretInterface
	mu     sync.Mutex
	byName map[string][]v1.Secret
}

func newReleaseListCache(api corev1.SecretInterface) *releaseListCache {
	return &releaseListCache{SecretInterface: api, byName: map[string][]v1.Secret{}}
}

// releaseOf: the release a Helm storage query is about, when it names one
// release of Helm's (name=X and owner=helm, each one value) and asks nothing else of the server.
func releaseOf(opts metav1.ListOptions) (labels.Selector, string, bool) {
	if opts.FieldSelector != "" || opts.ResourceVersion != "" || opts.Limit != 0 || opts.Continue != "" || opts.Watch {
		return nil, "", false
	}
	sel, err := labels.Parse(opts.LabelSelector)
	if err != nil {
		return nil, "", false
	}
	reqs, _ := sel.Requirements()
	name, owner := "", ""
	for _, r := range reqs {
		if (r.Operator() != selection.Equals && r.Operator() != selection.DoubleEquals) || r.Values().Len() != 1 {
			return nil, "", false
		}
		switch r.Key() {
		case "name":
			name = r.Values().List()[0]
		case "owner":
			owner = r.Values().List()[0]
		}
	}
	return sel, name, name != "" && owner == "helm"
}

func (c *releaseListCache) List(ctx context.Context, opts metav1.ListOptions) (*v1.SecretList, error) {
	sel, name, ok := releaseOf(opts)
	if !ok {
		return c.SecretInterface.List(ctx, opts)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	items, listed := c.byName[name]
	if !listed {
		all, err := c.SecretInterface.List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"name": name, "owner": "helm"}.String()})
		if err != nil {
			return nil, err
		}
		items = all.Items
		c.byName[name] = items
	}
	out := &v1.SecretList{}
	for i := range items {
		if sel.Matches(labels.Set(items[i].Labels)) {
			out.Items = append(out.Items, *items[i].DeepCopy())
		}
	}
	return out, nil
}

func (c *releaseListCache) Create(ctx context.Context, s *v1.Secret, opts metav1.CreateOptions) (*v1.Secret, error) {
	out, err := c.SecretInterface.Create(ctx, s, opts)
	if err == nil {
		c.keep(out)
	}
	return out, err
}

func (c *releaseListCache) Update(ctx context.Context, s *v1.Secret, opts metav1.UpdateOptions) (*v1.Secret, error) {
	out, err := c.SecretInterface.Update(ctx, s, opts)
	if err == nil {
		c.keep(out)
	}
	return out, err
}

func (c *releaseListCache) Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error {
	err := c.SecretInterface.Delete(ctx, name, opts)
	if err == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		for release, items := range c.byName {
			kept := items[:0:0]
			for _, s := range items {
				if s.Name != name {
					kept = append(kept, s)
				}
			}
			c.byName[release] = kept
		}
	}
	return err
}

// keep puts a Secret the request wrote into its release's list, if that was listed.
func (c *releaseListCache) keep(s *v1.Secret) {
	if s == nil || s.Labels["owner"] != "helm" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	items, listed := c.byName[s.Labels["name"]]
	if !listed {
		return
	}
	for i := range items {
		if items[i].Name == s.Name {
			items[i] = *s.DeepCopy()
			return
		}
	}
	c.byName[s.Labels["name"]] = append(items, *s.DeepCopy())
}
