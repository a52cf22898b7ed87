package main

import (
	"context"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"helm.sh/helm/v4/pkg/kube"
)

// waitedFor narrows the status watcher's informers to the objects a wait is
// for. kstatus watches a kind in a namespace whole: a release's wait for its
// Deployment received, and decoded, every event of every Deployment in the
// namespace (five releases there rolling out at once: five times its own).
// While a release's Wait runs, a list or watch of a resource in a namespace
// where the release has exactly one object of it asks the API server for that
// object alone (metadata.name=). With several objects, or outside a Wait
// (hooks, deletions), the list and watch are Helm's own.
type waitedFor struct {
	mu    sync.Mutex
	names map[schema.GroupResource]map[string][]string
}

func (w *waitedFor) set(resources kube.ResourceList) {
	names := map[schema.GroupResource]map[string][]string{}
	for _, r := range resources {
		if r.Mapping == nil || r.Name == "" {
			continue
		}
		gr := r.Mapping.Resource.GroupResource()
		if names[gr] == nil {
			names[gr] = map[string][]string{}
		}
		names[gr][r.Namespace] = append(names[gr][r.Namespace], r.Name)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.names = names
}

func (w *waitedFor) clear() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.names = nil
}

// only: the one object of a resource in a namespace being waited for, if there is exactly one.
func (w *waitedFor) only(gr schema.GroupResource, namespace string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	names := w.names[gr][namespace]
	if len(names) != 1 {
		return "", false
	}
	return names[0], true
}

func (w *waitedFor) narrow(gr schema.GroupResource, namespace string, opts metav1.ListOptions) metav1.ListOptions {
	if opts.FieldSelector != "" {
		return opts
	}
	if name, ok := w.only(gr, namespace); ok {
		opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
	}
	return opts
}

// narrowedDynamic is a dynamic client whose namespaced lists and watches waitedFor narrows.
type narrowedDynamic struct {
	dynamic.Interface
	w *waitedFor
}

func (d narrowedDynamic) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	return narrowedResource{NamespaceableResourceInterface: d.Interface.Resource(gvr), gr: gvr.GroupResource(), w: d.w}
}

type narrowedResource struct {
	dynamic.NamespaceableResourceInterface
	gr schema.GroupResource
	w  *waitedFor
}

func (r narrowedResource) Namespace(ns string) dynamic.ResourceInterface {
	return narrowedNamespace{ResourceInterface: r.NamespaceableResourceInterface.Namespace(ns), gr: r.gr, ns: ns, w: r.w}
}

type narrowedNamespace struct {
	dynamic.ResourceInterface
	gr schema.GroupResource
	ns string
	w  *waitedFor
}

func (n narrowedNamespace) List(ctx context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	return n.ResourceInterface.List(ctx, n.w.narrow(n.gr, n.ns, opts))
}

func (n narrowedNamespace) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return n.ResourceInterface.Watch(ctx, n.w.narrow(n.gr, n.ns, opts))
}
