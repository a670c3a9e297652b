package localfleet

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// freePorts reserves n distinct free loopback ports below the kernel's
// ephemeral range. Ports from bind(0) would come from that range, where any
// outgoing connection (the apiservers' own etcd and client connections) may
// take a port between our check and the component's bind; below it only
// listeners compete. The listeners are held until all ports are chosen so none
// is handed out twice.
func freePorts(n int) ([]int, error) {
	low, high := portRange()
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n {
			return nil, fmt.Errorf("no free ports on 127.0.0.1 between %d and %d: stop other fleets (`kurator status`) or free some ports", low, high)
		}
		port := low + rand.IntN(high-low)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, port)
	}
	return ports, nil
}

// portRange is where fleet ports are picked: from 10000 up to the start of
// the kernel's ephemeral range (32768 by default).
func portRange() (low, high int) {
	low, high = 10000, 32768
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return low, high
	}
	if f := strings.Fields(string(data)); len(f) == 2 {
		if start, err := strconv.Atoi(f[0]); err == nil && start > low+1000 {
			high = start
		}
	}
	return low, high
}
