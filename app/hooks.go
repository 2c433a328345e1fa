package app

import (
	"context"

	sb "github.com/switchboardhq/switchboard"
)

// ReceiveHook handles one inbound request from a platform to
// /hooks/channels/{id}: the channel's adapter verifies it with the
// platform's own scheme and parses it, and the pipeline stores what it
// carries durably (one transaction) before this returns; the bot runs
// afterwards. It returns the adapter's result, whose Response (a
// handshake), if any, is what the platform must get back.
//
// Errors: ENotFound for an unknown channel or a type without hooks;
// EForbidden for a client address outside the channel's allowed_ips; the
// adapter's EUnauthorized, EForbidden or EInvalid for a refused request;
// EConflict for a disconnected channel that was sent messages. Only a nil
// error stored anything. A request already received (same platform id) is not
// processed again.
func (s *Service) ReceiveHook(ctx context.Context, channelID string, req *sb.HookRequest) (*sb.HookResult, error) {
	if !sb.HasPrefix(channelID, sb.PrefixChannel) || s.pipe == nil {
		return nil, sb.ErrNotFound("channel")
	}
	ch, err := s.pipe.Channel(ctx, channelID)
	if err != nil {
		return nil, err
	}
	adapter, ok := s.channels.Lookup(ch.Type)
	if !ok {
		return nil, sb.Errorf(sb.ENotFound, "Channels of type %s have no inbound hook.", ch.Type)
	}
	if !ch.AllowsIP(req.ClientIP) {
		return nil, sb.Errorf(sb.EForbidden, "Requests from %s are not accepted by this channel: the address is not in its allowed_ips.", clientAddr(req))
	}
	res, err := adapter.HandleHook(ctx, ch, req)
	if err != nil {
		return nil, err
	}
	if ch.Status == sb.ChannelDisconnected && (len(res.Messages) > 0 || len(res.Statuses) > 0) {
		return nil, sb.Errorf(sb.EConflict, "The channel is disconnected: its inbound requests are refused until it is connected again.")
	}
	if _, err := s.pipe.Ingest(ctx, ch, res); err != nil {
		return nil, err
	}
	return res, nil
}

func clientAddr(req *sb.HookRequest) string {
	if !req.ClientIP.IsValid() {
		return "an unknown address"
	}
	return req.ClientIP.String()
}
