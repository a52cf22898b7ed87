package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1 "k8s.io/client-go/kubernetes/typed/core/v1"

	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// defaultLevelSecrets is Helm's Secrets driver, writing each release with
// gzip's default level instead of its best. Helm encodes a release (the
// chart with its templates and schema, the values, the manifest) three
// times in an upgrade; at BestCompression that was a quarter of the
// worker's CPU. The default level took a third of the time for a release
// 2% larger (the generated worker chart: 1.1 ms and 11.0 KB against 3.2 ms
// and 10.8 KB). Everything else is Helm's: the Secret's name, type and
// labels, base64 of gzip of the release's JSON, so any helm reads it
// (gzip's reader takes every level), and reads go through Helm's driver.
type defaultLevelSecrets struct {
	*driver.Secrets
	impl corev1.SecretInterface
}

func newDefaultLevelSecrets(impl corev1.SecretInterface) *defaultLevelSecrets {
	return &defaultLevelSecrets{Secrets: driver.NewSecrets(impl), impl: impl}
}

// Create stores a new release, as Helm's driver does (labels: the release's
// own, createdAt, name, owner, status, version).
func (s *defaultLevelSecrets) Create(key string, rel ri.Releaser) error {
	obj, name, err := s.object(key, rel, "createdAt")
	if err != nil {
		return fmt.Errorf("create: failed to encode release %q: %w", name, err)
	}
	if _, err := s.impl.Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return driver.ErrReleaseExists
		}
		return fmt.Errorf("create: failed to create: %w", err)
	}
	return nil
}

// Update replaces a stored release, as Helm's driver does (modifiedAt instead of createdAt).
func (s *defaultLevelSecrets) Update(key string, rel ri.Releaser) error {
	obj, name, err := s.object(key, rel, "modifiedAt")
	if err != nil {
		return fmt.Errorf("update: failed to encode release %q: %w", name, err)
	}
	if _, err := s.impl.Update(context.Background(), obj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update: failed to update: %w", err)
	}
	return nil
}

func (s *defaultLevelSecrets) object(key string, rel ri.Releaser, stamp string) (*v1.Secret, string, error) {
	r, err := asV1(rel)
	if err != nil {
		return nil, "", err
	}
	if r == nil || r.Info == nil {
		return nil, "", fmt.Errorf("release %q has no info", key)
	}
	labels := map[string]string{}
	for k, v := range r.Labels {
		labels[k] = v
	}
	labels[stamp] = strconv.FormatInt(time.Now().Unix(), 10)
	labels["name"] = r.Name
	labels["owner"] = "helm"
	labels["status"] = r.Info.Status.String()
	labels["version"] = strconv.Itoa(r.Version)
	data, err := encodeDefaultLevel(r)
	if err != nil {
		return nil, r.Name, err
	}
	return &v1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: key, Labels: labels},
		Type:       "helm.sh/release.v1",
		Data:       map[string][]byte{"release": data},
	}, r.Name, nil
}

// encodeDefaultLevel: base64 of gzip (default level) of the release's JSON.
func encodeDefaultLevel(rel any) ([]byte, error) {
	b, err := json.Marshal(rel)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(buf.Len()))
	base64.StdEncoding.Encode(out, buf.Bytes())
	return out, nil
}
