package localfleet

import (
	"fmt"
	"net"
)

// freePorts reserves n distinct free loopback ports. The listeners are held
// until all are chosen so no port is handed out twice; a component started
// right after binds it. A port another program grabs in between makes that
// component fail to start, which Up reports with the log file to read.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
