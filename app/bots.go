package app

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// CreateBotParams are a new bot's name, engine and engine configuration.
type CreateBotParams struct {
	Name   string          `json:"name"`
	Engine string          `json:"engine"`
	Config json.RawMessage `json:"config"`
}

// ListBots returns a page of the workspace's bots.
func (s *Service) ListBots(ctx context.Context, ws string, p sb.Page) ([]*sb.Bot, error) {
	return s.store.ListBots(ctx, ws, p)
}

// GetBot returns one bot, without its secrets.
func (s *Service) GetBot(ctx context.Context, ws, id string) (*sb.Bot, error) {
	return s.store.GetBot(ctx, ws, id)
}

// CreateBot creates a bot and trains and deploys its version 1 before it
// returns, so that the bot answers at once. A configuration that cannot
// be trained is invalid (400 naming the field); a training that fails for
// another reason is EUnprocessable, and nothing is created. A secret
// Switchboard generates for it (the webhook engine's signing secret) is
// in the returned bot's config, this once.
func (s *Service) CreateBot(ctx context.Context, ws string, req *CreateBotParams) (*sb.Bot, error) {
	var v sb.Validation
	if req.Name == "" || len(req.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	engine, ok := s.engines.Lookup(req.Engine)
	if !ok { // an engine this build does not have is refused, not failed at every turn
		v.Add("engine", "must be one of "+strings.Join(s.engines.Names(), ", "))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.checkIntentActions(ctx, s.store, ws, req.Engine, req.Config); err != nil {
		return nil, err
	}
	config, secrets, err := engine.ParseConfig(req.Config)
	if err != nil {
		return nil, err
	}
	if err := s.checkBotURLs(ctx, engine, req.Config); err != nil {
		return nil, err
	}
	var generated map[string]string
	if g, ok := engine.(sb.SecretGenerator); ok {
		if secrets == nil {
			secrets = map[string]string{}
		}
		generated = g.GenerateSecrets(secrets)
	}
	now := s.now()
	bot := &sb.Bot{
		ID: sb.NewID(sb.PrefixBot), WorkspaceID: ws, Name: req.Name, Engine: req.Engine,
		Config: config, Secrets: secrets, Status: sb.BotDeployed, Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	version, err := s.trainVersion(ctx, bot, CreateTrainTimeout)
	if err != nil {
		return nil, createTrainingError(err)
	}
	one, trained := 1, s.now()
	version.Version, version.CreatedAt, version.DeployedAt = 1, trained, &trained
	bot.DeployedVersion = &one
	bot.Training = &sb.TrainingState{Status: sb.TrainingSucceeded, Version: &one, StartedAt: now, FinishedAt: &trained}
	// Version 1 is trained and deployed like any other: subscribers
	// auditing deployments see bot.trained and bot.deployed for it too.
	err = s.write(ctx, func(q sb.Queries) error {
		if err := q.CreateBot(ctx, bot); err != nil {
			return err
		}
		if err := q.CreateBotVersion(ctx, version); err != nil {
			return err
		}
		if err := s.events.Publish(ctx, q, sb.BotVersionEvent(sb.EventBotTrained, bot, version, nil)); err != nil {
			return err
		}
		return s.events.Publish(ctx, q, sb.BotVersionEvent(sb.EventBotDeployed, bot, version, nil))
	})
	if err != nil {
		return nil, err
	}
	if len(generated) > 0 { // shown once, in this response
		shown := *bot
		shown.Config = withFields(bot.Config, generated)
		return &shown, nil
	}
	return bot, nil
}

// createTrainingError is the answer to a POST /bots whose training
// failed: the configuration's fault names the field.
func createTrainingError(err error) error {
	var e *sb.Error
	if errors.As(err, &e) && e.Code == sb.EInvalid {
		if len(e.Fields) > 0 {
			return e
		}
		return sb.Invalid("config", "cannot be trained: "+e.Message)
	}
	return sb.Errorf(sb.EUnprocessable, "The bot could not be trained: %s.", strings.TrimSuffix(trainingMessage(err), "."))
}

// checkIntentActions checks the integration actions of a builtin bot's
// intents (config.intents[].action): integration_id an integration of the
// workspace, action one of its type's actions, params a JSON object (its
// values may be templates, filled and checked against the action's
// parameters when the action runs).
func (s *Service) checkIntentActions(ctx context.Context, q sb.IntegrationQueries, ws, engine string, raw json.RawMessage) error {
	switch engine {
	case sb.EngineLLM:
		return s.checkToolActions(ctx, q, ws, raw)
	case sb.EngineBuiltin:
	default:
		return nil
	}
	var c struct {
		Intents []struct {
			Action json.RawMessage `json:"action"`
		} `json:"intents"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return nil // the engine says what is wrong
	}
	var v sb.Validation
	for i, in := range c.Intents {
		if len(in.Action) == 0 || string(in.Action) == "null" {
			continue
		}
		p := "config.intents[" + strconv.Itoa(i) + "].action"
		var a struct {
			IntegrationID string          `json:"integration_id"`
			Action        string          `json:"action"`
			Params        json.RawMessage `json:"params"`
		}
		if err := sb.DecodeStrict(in.Action, &a, p); err != nil {
			return err
		}
		shaped := true
		if !sb.HasPrefix(a.IntegrationID, sb.PrefixIntegration) {
			v.Add(p+".integration_id", "must be an integration id (int_…)")
			shaped = false
		}
		if a.Action == "" || len(a.Action) > 100 || strings.ContainsFunc(a.Action, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			v.Add(p+".action", "must be an action name: 1 to 100 characters, no spaces")
			shaped = false
		}
		if len(a.Params) > 0 && string(a.Params) != "null" && !isJSONObject(a.Params) {
			v.Add(p+".params", "must be a JSON object")
		}
		if !shaped {
			continue
		}
		in, err := q.GetIntegration(ctx, ws, a.IntegrationID)
		switch {
		case sb.ErrorCode(err) == sb.ENotFound:
			v.Add(p+".integration_id", "names no integration of this workspace")
		case err != nil:
			return err
		default:
			if _, err := s.actionSpec(in.Type, a.Action); err != nil {
				v.Add(p+".action", "is not an action of that "+in.Type+" integration")
			}
		}
	}
	return v.Err()
}

// checkBotURLs checks the URLs an engine's configuration names (a webhook
// bot's url) against the outbound address policy.
func (s *Service) checkBotURLs(ctx context.Context, engine sb.BotEngine, raw json.RawMessage) error {
	e, ok := engine.(sb.OutboundURLs)
	if !ok {
		return nil
	}
	urls := e.OutboundURLs(raw)
	var v sb.Validation
	for _, field := range slices.Sorted(maps.Keys(urls)) {
		s.checkOutboundURL(ctx, &v, field, urls[field])
	}
	return v.Err()
}

// withFields returns a JSON object with more string fields.
func withFields(obj json.RawMessage, fields map[string]string) json.RawMessage {
	m := map[string]any{}
	_ = json.Unmarshal(obj, &m)
	for name, value := range fields {
		m[name] = value
	}
	out, _ := json.Marshal(m)
	return out
}

// DeleteBot deletes a bot; its channels stay, without a bot.
func (s *Service) DeleteBot(ctx context.Context, ws, id string) error {
	return s.writeForget(ctx, id, func(q sb.Queries) error { return q.DeleteBot(ctx, ws, id) })
}

// ReplaceBotConfig replaces the draft configuration (a JSON object),
// validated by the engine. Secret fields left out keep their stored value,
// so a client can change a webhook bot's url without sending its secret
// again. The bot goes back to draft; its deployed version keeps answering
// until another is trained and deployed.
func (s *Service) ReplaceBotConfig(ctx context.Context, ws, id string, body json.RawMessage) (*sb.Bot, error) {
	if err := requireJSONObject(body); err != nil {
		return nil, err
	}
	// The URLs are checked before the write (the check may ask DNS); a
	// bot's engine never changes.
	if bot, err := s.store.GetBot(ctx, ws, id); err != nil {
		return nil, err
	} else if engine, ok := s.engines.Lookup(bot.Engine); ok {
		if err := s.checkBotURLs(ctx, engine, body); err != nil {
			return nil, err
		}
	}
	bot, err := writeResult(ctx, s, func(q sb.Queries) (*sb.Bot, error) {
		bot, err := lockedBot(ctx, q, ws, id)
		if err != nil {
			return nil, err
		}
		if err := s.checkIntentActions(ctx, q, ws, bot.Engine, body); err != nil {
			return nil, err
		}
		config, secrets, err := s.engines.ParseConfig(bot.Engine, body)
		if err != nil {
			return nil, err
		}
		for k, v := range bot.Secrets {
			if _, ok := secrets[k]; !ok {
				if secrets == nil {
					secrets = map[string]string{}
				}
				secrets[k] = v
			}
		}
		bot.Config, bot.Secrets, bot.Status, bot.UpdatedAt = config, secrets, sb.BotDraft, s.now()
		return bot, q.UpdateBot(ctx, bot)
	})
	if err != nil {
		return nil, err
	}
	s.forget(bot.ID)
	return bot, nil
}

// requireJSONObject checks that a body is a JSON object.
func requireJSONObject(body []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return sb.Invalid("body", "must be a JSON object")
	}
	return nil
}
