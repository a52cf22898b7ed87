package main

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/resource"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"helm.sh/helm/v4/pkg/kube"
)

func TestWaitedForNarrowsListsAndWatchesToTheOneObjectWaitedFor(t *testing.T) {
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	configMaps := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	info := func(gvr schema.GroupVersionResource, ns, name string) *resource.Info {
		return &resource.Info{Name: name, Namespace: ns, Mapping: &meta.RESTMapping{Resource: gvr}}
	}
	client := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		deployments: "DeploymentList", configMaps: "ConfigMapList",
	})
	waited := &waitedFor{}
	d := narrowedDynamic{Interface: client, w: waited}
	ask := func(gvr schema.GroupVersionResource, ns string) {
		client.ClearActions()
		if _, err := d.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Resource(gvr).Namespace(ns).Watch(context.Background(), metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	fieldsAsked := func() []string {
		var out []string
		for _, a := range client.Actions() {
			switch a := a.(type) {
			case clienttesting.ListAction:
				out = append(out, a.GetListRestrictions().Fields.String())
			case clienttesting.WatchAction:
				out = append(out, a.GetWatchRestrictions().Fields.String())
			}
		}
		return out
	}
	want := func(what string, got []string, field string) {
		t.Helper()
		if len(got) != 2 || got[0] != field || got[1] != field {
			t.Errorf("%s: the list and the watch asked for fields %q, want %q", what, got, field)
		}
	}

	waited.set(kube.ResourceList{
		info(deployments, "shop", "api"),
		info(configMaps, "shop", "a"), info(configMaps, "shop", "b"),
	})
	ask(deployments, "shop")
	want("the one Deployment waited for", fieldsAsked(), "metadata.name=api")
	ask(configMaps, "shop")
	want("two ConfigMaps waited for", fieldsAsked(), "")
	ask(deployments, "other")
	want("another namespace", fieldsAsked(), "")
	waited.clear()
	ask(deployments, "shop")
	want("outside a Wait", fieldsAsked(), "")
}
