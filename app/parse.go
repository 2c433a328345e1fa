package app

import (
	"context"
	"errors"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/pipeline"
)

// ParseBotParams are a text to try on a bot, and the version to try it on
// (nil: the deployed one).
type ParseBotParams struct {
	Text    string `json:"text"`
	Version *int   `json:"version"`
}

// ParseResult is what a version of a bot makes of a text.
type ParseResult struct {
	Intent     *sb.IntentScore  `json:"intent"` // nil: no intent recognised
	Ranking    []sb.IntentScore `json:"ranking"`
	OutOfScope bool             `json:"out_of_scope"`
	Replies    []string         `json:"replies"`
	Handoff    bool             `json:"handoff"`
	Version    int              `json:"version"`
	// ToolCalls are the tools a model called (the llm engine): lookups
	// run, tools that change something described (dry_run), not run.
	ToolCalls []sb.ToolCall `json:"tool_calls,omitempty"`
}

// ParseBot runs a version of the bot on a text as a dry run: nothing is
// stored or sent, there is no conversation nor contact, and templates are
// filled from the workspace's facts only. Engines whose answer comes from
// someone else's service (webhook) refuse a dry run with EInvalid. A bot
// with no deployed version, asked without a version, is EConflict.
func (s *Service) ParseBot(ctx context.Context, ws, id string, req *ParseBotParams) (*ParseResult, error) {
	var v sb.Validation
	checkText(&v, req.Text)
	if req.Version != nil && *req.Version < 1 {
		v.Add("version", "must be a version number (1 or more)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	bot, err := s.store.GetBot(ctx, ws, id)
	if err != nil {
		return nil, err
	}
	n := bot.DeployedVersion
	if req.Version != nil {
		n = req.Version
	}
	if n == nil {
		return nil, sb.Errorf(sb.EConflict, "The bot has no deployed version: deploy one, or give the version to parse with.")
	}
	version, err := s.store.GetBotVersion(ctx, ws, id, *n)
	if sb.ErrorCode(err) == sb.ENotFound && req.Version != nil {
		return nil, sb.Invalid("version", "names no version of this bot")
	} else if err != nil {
		return nil, err
	}
	engine, ok := s.engines.Lookup(bot.Engine)
	if !ok {
		return nil, sb.Errorf(sb.EConflict, "The %s engine is not available in this version of Switchboard.", bot.Engine)
	}
	now := s.now()
	msg := &sb.Message{ID: sb.NewID(sb.PrefixMessage), WorkspaceID: ws, Direction: sb.DirectionInbound, Sender: sb.SenderUser,
		Text: req.Text, Status: sb.MessageReceived, CreatedAt: now, UpdatedAt: now}
	cctx, cancel := context.WithTimeout(ctx, pipeline.DefaultCallTimeout)
	defer cancel()
	a, err := engine.Reply(cctx, &sb.BotTurn{
		Bot: pipeline.VersionBot(bot, version), Message: msg, Attempt: 1,
		Version: version.Version, Model: pipeline.ModelLoader(s.store, version),
		Fill: pipeline.TurnFill(s.store, s.clock, ws, nil, nil), DryRun: true, Tools: s.dryTools(ws, msg),
	})
	if err != nil {
		var e *sb.Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, sb.Errorf(sb.EUnprocessable, "The bot failed to answer: %s.", strings.TrimSuffix(err.Error(), "."))
	}
	return parseResult(a, version.Version), nil
}

// parseResult is an answer as POST /bots/{id}/parse shows it.
func parseResult(a *sb.BotAnswer, version int) *ParseResult {
	out := &ParseResult{Ranking: []sb.IntentScore{}, Replies: []string{}, Version: version}
	if a == nil {
		return out
	}
	if a.Intent != "" {
		out.Intent = &sb.IntentScore{Name: a.Intent, Confidence: a.Confidence}
	}
	if a.Ranking != nil {
		out.Ranking = a.Ranking
	}
	if a.Replies != nil {
		out.Replies = a.Replies
	}
	out.OutOfScope, out.Handoff, out.ToolCalls = a.OutOfScope, a.Handoff, a.ToolCalls
	return out
}
