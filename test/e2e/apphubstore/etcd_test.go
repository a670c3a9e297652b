package apphubstore

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kurator-go/kurator/internal/localfleet"
)

// etcdReader reads values of the hub's keys from the fleet's etcd through
// etcd's JSON gateway (/v3/kv/range), to measure what objects cost there.
type etcdReader struct {
	url    string
	prefix string
	http   *http.Client
}

func newEtcdReader(t *testing.T) etcdReader {
	t.Helper()
	p, ok := fleet.Process("etcd")
	if !ok || p.Port == 0 {
		t.Fatal("the fleet has no etcd process with a client port")
	}
	return etcdReader{
		url:    fmt.Sprintf("http://127.0.0.1:%d/v3/kv/range", p.Port),
		prefix: "/kurator/" + fleet.Name + "/" + localfleet.HubName + "/",
		http:   &http.Client{Timeout: 10 * time.Second},
	}
}

// size is the length of the value stored under the hub's key (e.g.
// "configmaps/ns/name"); the test fails when the key is absent.
func (e etcdReader) size(t *testing.T, key string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(e.prefix + key))})
	resp, err := e.http.Post(e.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("read %s from etcd: %v", key, err)
	}
	defer resp.Body.Close()
	var out struct {
		Kvs []struct {
			Value string `json:"value"`
		} `json:"kvs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("read %s from etcd: status %s: %v", key, resp.Status, err)
	}
	if len(out.Kvs) != 1 {
		t.Fatalf("etcd has no key %s%s", e.prefix, key)
	}
	value, err := base64.StdEncoding.DecodeString(out.Kvs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return len(value)
}
