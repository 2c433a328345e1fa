package dashboard

// LiveCounts returns the number of live feeds running and of streams open.
func LiveCounts(h *Handler) (feeds, streams int) { return h.liveHub.counts() }
