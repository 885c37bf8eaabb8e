// Command fk-etcd runs a single-member etcd server for fargatekit's test
// environment, embedded from go.etcd.io/etcd/server/v3 (the version that
// Kubernetes itself depends on), so no system package is needed.
//
// Usage: fk-etcd -data-dir DIR -client-url http://127.0.0.1:PORT -peer-url http://127.0.0.1:PORT
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd data (required)")
	clientURL := flag.String("client-url", "http://127.0.0.1:2379", "client URL to listen on")
	peerURL := flag.String("peer-url", "http://127.0.0.1:2380", "peer URL to listen on")
	flag.Parse()
	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "fk-etcd: -data-dir is required")
		os.Exit(2)
	}
	cu, err := url.Parse(*clientURL)
	if err != nil {
		log.Fatalf("fk-etcd: -client-url: %v", err)
	}
	pu, err := url.Parse(*peerURL)
	if err != nil {
		log.Fatalf("fk-etcd: -peer-url: %v", err)
	}
	cfg := embed.NewConfig()
	cfg.Dir = *dataDir
	cfg.Name = "fk"
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.Name + "=" + pu.String()
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = true // test data only: speed over durability
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("fk-etcd: start: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
		fmt.Println("fk-etcd: ready")
	case <-time.After(60 * time.Second):
		e.Close()
		log.Fatal("fk-etcd: not ready after 60s")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-e.Err():
		log.Printf("fk-etcd: %v", err)
	}
	e.Close()
}
