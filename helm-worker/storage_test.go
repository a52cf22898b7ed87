package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"io"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

func sampleRelease(version int, status common.Status) *release.Release {
	return &release.Release{
		Name:      "shop-api",
		Namespace: "shop",
		Version:   version,
		Info:      &release.Info{Status: status, Description: "Upgrade complete"},
		Manifest:  "---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: shop-api }\n",
		Config:    map[string]any{"replicas": float64(2)},
		Labels:    map[string]string{"berth.dev/managed": "true"},
	}
}

// Helm's driver and the worker's, each writing the same releases to its own
// (fake) API: the Secrets must differ only in the bytes of the gzip stream.
func TestDefaultLevelSecretsWritesWhatHelmWrites(t *testing.T) {
	helmAPI := fake.NewClientset().CoreV1().Secrets("shop")
	ownAPI := fake.NewClientset().CoreV1().Secrets("shop")
	helm, own := driver.NewSecrets(helmAPI), newDefaultLevelSecrets(ownAPI)

	for _, d := range []driver.Driver{helm, own} {
		if err := d.Create("sh.helm.release.v1.shop-api.v1", sampleRelease(1, common.StatusDeployed)); err != nil {
			t.Fatal(err)
		}
		if err := d.Create("sh.helm.release.v1.shop-api.v2", sampleRelease(2, common.StatusPendingUpgrade)); err != nil {
			t.Fatal(err)
		}
		if err := d.Update("sh.helm.release.v1.shop-api.v1", sampleRelease(1, common.StatusSuperseded)); err != nil {
			t.Fatal(err)
		}
		if err := d.Create("sh.helm.release.v1.shop-api.v2", sampleRelease(2, common.StatusDeployed)); err != driver.ErrReleaseExists {
			t.Fatalf("a second create of one key: %v, want ErrReleaseExists", err)
		}
	}

	for _, key := range []string{"sh.helm.release.v1.shop-api.v1", "sh.helm.release.v1.shop-api.v2"} {
		want, err := helmAPI.Get(context.Background(), key, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := ownAPI.Get(context.Background(), key, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != want.Type {
			t.Errorf("%s: type %q, Helm writes %q", key, got.Type, want.Type)
		}
		// createdAt/modifiedAt are seconds: equal unless the test crossed one
		if !reflect.DeepEqual(keys(got.Labels), keys(want.Labels)) {
			t.Errorf("%s: labels %v, Helm writes %v", key, got.Labels, want.Labels)
		}
		for _, l := range []string{"name", "owner", "status", "version", "berth.dev/managed"} {
			if got.Labels[l] != want.Labels[l] {
				t.Errorf("%s: label %s=%q, Helm writes %q", key, l, got.Labels[l], want.Labels[l])
			}
		}
		if !bytes.Equal(gunzip(t, got.Data["release"]), gunzip(t, want.Data["release"])) {
			t.Errorf("%s: the release's JSON differs from Helm's", key)
		}
		if !reflect.DeepEqual(keys(got.Data), keys(want.Data)) {
			t.Errorf("%s: data keys %v, Helm writes %v", key, keys(got.Data), keys(want.Data))
		}
	}

	// Helm's own driver reads what the worker wrote.
	rel, err := driver.NewSecrets(ownAPI).Get("sh.helm.release.v1.shop-api.v1")
	if err != nil {
		t.Fatal(err)
	}
	r, err := asV1(rel)
	if err != nil || r.Info.Status != common.StatusSuperseded || r.Config["replicas"] != float64(2) {
		t.Fatalf("Helm's driver read %+v (%v), want revision 1 superseded with its values", r, err)
	}
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
