package dashboard

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultClientBuffer is how many events a client's queue holds before
// the broker drops that client's events.
const DefaultClientBuffer = 64

// Broker fans events out to the connected clients. Each client has a
// bounded queue: Publish never blocks and never queues without bound; an
// event for a client whose queue is full is dropped (and counted), so a
// client that is slow or stops reading costs the publisher nothing.
type Broker struct {
	mu      sync.Mutex
	clients map[chan []byte]struct{}
	buf     int
	dropped atomic.Int64
	sent    atomic.Int64
}

// NewBroker returns a broker whose clients queue up to buf events
// (DefaultClientBuffer when buf <= 0).
func NewBroker(buf int) *Broker {
	if buf <= 0 {
		buf = DefaultClientBuffer
	}
	return &Broker{clients: map[chan []byte]struct{}{}, buf: buf}
}

// Subscribe adds a client and returns its queue and the function that
// removes it.
func (b *Broker) Subscribe() (<-chan []byte, func()) {
	ch := make(chan []byte, b.buf)
	b.mu.Lock()
	b.clients[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.clients, ch)
		b.mu.Unlock()
	}
}

// Clients returns the number of connected clients.
func (b *Broker) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}

// Publish queues msg for every client whose queue has room and drops it
// for the others. msg must not be changed afterwards.
func (b *Broker) Publish(msg []byte) {
	b.mu.Lock()
	for ch := range b.clients {
		select {
		case ch <- msg:
			b.sent.Add(1)
		default:
			b.dropped.Add(1)
		}
	}
	b.mu.Unlock()
}

// Drain waits until every client's queue is empty, or timeout has
// passed: a server that stops lets its last events out first.
func (b *Broker) Drain(timeout time.Duration) {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		b.mu.Lock()
		queued := 0
		for ch := range b.clients {
			queued += len(ch)
		}
		b.mu.Unlock()
		if queued == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Dropped returns how many events were dropped for full queues.
func (b *Broker) Dropped() int64 { return b.dropped.Load() }

// Sent returns how many events were queued for clients.
func (b *Broker) Sent() int64 { return b.sent.Load() }
