package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
)

// A training turns a bot's draft into a numbered version: the draft's
// configuration and secrets, and what the engine's Train made of them
// (engines that do not train version their configuration only). It runs
// as a durable job (sb.JobTrainBot) on the pipeline's queue: a process
// that stops while training leaves the job to the next one (or another
// process sharing the database) once its lease expires, which trains
// again. A training ends either way: with a version (bot.trained) or,
// when the configuration cannot be trained, after maxTrainAttempts runs,
// or when it takes too long, with status error and bot.error.

// trainRetry is the schedule of a training that failed for a reason
// other than its configuration (2 retries); maxTrainAttempts bounds the
// runs of one training, interrupted ones included.
var trainRetry = retry.Schedule{5 * time.Second, 30 * time.Second}

const maxTrainAttempts = 3

// CreateTrainTimeout bounds the training of version 1 that POST /bots
// runs before it answers; trainings of the queue get three quarters of
// the job's lease.
const CreateTrainTimeout = 30 * time.Second

// errTrainTimeout fails a training that took too long: trying again
// would take as long.
var errTrainTimeout = errors.New("the training took too long")

// trainArgs is the payload of a training job.
type trainArgs struct {
	BotID string `json:"bot_id"`
}

// registerTraining makes this process run training jobs, on the
// pipeline's queue (before it starts).
func (s *Service) registerTraining() {
	if s.pipe == nil {
		return
	}
	s.jobs = s.pipe.Jobs()
	s.train = queue.Register(s.jobs, sb.JobTrainBot, func(ctx context.Context, j *queue.Job[trainArgs, struct{}]) {
		s.runTraining(ctx, j.Job, j.Args.BotID)
	})
}

// TrainBot asks for a training of the bot's draft and returns the bot,
// training. A bot already training is EConflict (a second request is not
// coalesced with the first: the first may be training an older draft).
func (s *Service) TrainBot(ctx context.Context, ws, id string) (*sb.Bot, error) {
	bot, err := writeResult(ctx, s, func(q sb.Queries) (*sb.Bot, error) {
		bot, err := lockedBot(ctx, q, ws, id)
		if err != nil {
			return nil, err
		}
		if t := bot.Training; t != nil && t.Status == sb.TrainingRunning {
			return nil, sb.Errorf(sb.EConflict, "The bot is already training (since %s): wait for its bot.trained or bot.error event.",
				t.StartedAt.Format(time.RFC3339))
		}
		if _, ok := s.engines.Lookup(bot.Engine); !ok {
			return nil, sb.Errorf(sb.EConflict, "The %s engine is not available in this version of Switchboard.", bot.Engine)
		}
		bot.Status = sb.BotTraining
		bot.Training = &sb.TrainingState{Status: sb.TrainingRunning, StartedAt: s.now()}
		if err := q.UpdateBot(ctx, bot); err != nil {
			return nil, err
		}
		nj := queue.NewJob[trainArgs]{WorkspaceID: ws, Key: bot.ID, Args: trainArgs{BotID: bot.ID}}
		if s.train != nil {
			_, err = s.train.Enqueue(ctx, q, nj, nil)
		} else { // for the poller of a process that runs the pipeline
			_, err = queue.Create(ctx, q, sb.JobTrainBot, nj)
		}
		return bot, err
	})
	if err != nil {
		return nil, err
	}
	s.forget(bot.ID)
	return bot, nil
}

// lockedBot reads a bot in a transaction that will change it, holding it
// until the transaction ends.
func lockedBot(ctx context.Context, q sb.Queries, ws, id string) (*sb.Bot, error) {
	if err := q.LockBot(ctx, ws, id); err != nil {
		return nil, err
	}
	return q.GetBot(ctx, ws, id)
}

// runTraining is the worker of training jobs.
func (s *Service) runTraining(ctx context.Context, j *sb.Job, botID string) {
	bot, err := s.store.GetBot(ctx, j.WorkspaceID, botID)
	switch {
	case sb.ErrorCode(err) == sb.ENotFound: // deleted meanwhile
		s.jobs.Finish(ctx, j, nil)
		return
	case err != nil:
		s.jobs.Retry(ctx, j, s.now().Add(time.Second), err.Error())
		return
	case bot.Training == nil || bot.Training.Status != sb.TrainingRunning: // recorded already
		s.jobs.Finish(ctx, j, nil)
		return
	}
	if j.Attempts > maxTrainAttempts {
		s.trainingFailed(ctx, j, bot, fmt.Sprintf("the training was interrupted %d times", j.Attempts-1))
		return
	}
	v, err := s.trainVersion(ctx, bot, s.trainBudget(j))
	if ctx.Err() != nil {
		return // the process is stopping: the job runs again, here or elsewhere, once its lease expires
	}
	if err != nil {
		if sb.ErrorCode(err) != sb.EInvalid && !errors.Is(err, errTrainTimeout) {
			if d, ok := s.jobs.Backoff(trainRetry, j.Attempts, 0); ok {
				s.jobs.Retry(ctx, j, s.now().Add(d), err.Error())
				return
			}
		}
		s.trainingFailed(ctx, j, bot, trainingMessage(err))
		return
	}
	s.jobs.Finish(ctx, j, func(q sb.Queries) error { return s.recordTraining(ctx, q, bot, v) })
}

// trainBudget is how long a training job may train: three quarters of
// what is left of its lease, so that its outcome is written before
// another process may take it over.
func (s *Service) trainBudget(j *sb.Job) time.Duration {
	if j.LeasedUntil != nil {
		if d := j.LeasedUntil.Sub(s.now()) * 3 / 4; d > 0 {
			return d
		}
	}
	return time.Second
}

// trainVersion trains the draft of bot into a version (not numbered yet).
func (s *Service) trainVersion(ctx context.Context, bot *sb.Bot, budget time.Duration) (*sb.BotVersion, error) {
	engine, ok := s.engines.Lookup(bot.Engine)
	if !ok {
		return nil, sb.Errorf(sb.EInvalid, "The %s engine is not available in this version of Switchboard.", bot.Engine)
	}
	v := &sb.BotVersion{BotID: bot.ID, WorkspaceID: bot.WorkspaceID, Engine: bot.Engine,
		Config: bot.Config, Secrets: maps.Clone(bot.Secrets), Metrics: json.RawMessage(`{}`)}
	t, ok := engine.(sb.Trainer)
	if !ok {
		return v, nil
	}
	tctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	m, err := t.Train(tctx, &sb.TrainInput{BotID: bot.ID, Config: bot.Config, Secrets: maps.Clone(bot.Secrets)})
	if err != nil {
		if tctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%w (more than %s)", errTrainTimeout, budget.Round(time.Second))
		}
		return nil, err
	}
	if m != nil {
		v.Model = m.Model
		if isJSONObject(m.Metrics) {
			v.Metrics = m.Metrics
		}
	}
	return v, nil
}

// isJSONObject reports whether raw is a JSON object.
func isJSONObject(raw json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// trainingMessage is what training.error says of a failure.
func trainingMessage(err error) string {
	var e *sb.Error
	if errors.As(err, &e) {
		if len(e.Fields) > 0 {
			return e.Fields[0].Field + ": " + e.Fields[0].Message
		}
		return e.Message
	}
	return err.Error()
}

// recordTraining writes a training's version with q and, if the bot is
// still waiting for it, the bot's new version, status (trained, unless
// the draft changed meanwhile) and bot.trained. It may run more than once.
func (s *Service) recordTraining(ctx context.Context, q sb.Queries, trained *sb.Bot, v *sb.BotVersion) error {
	bot, err := lockedBot(ctx, q, trained.WorkspaceID, trained.ID)
	if sb.ErrorCode(err) == sb.ENotFound {
		return nil
	}
	if err != nil || bot.Training == nil || bot.Training.Status != sb.TrainingRunning {
		return err
	}
	n, err := nextVersion(ctx, q, bot)
	if err != nil {
		return err
	}
	now := s.now()
	v.Version, v.CreatedAt, v.DeployedAt = n, now, nil
	if err := q.CreateBotVersion(ctx, v); err != nil {
		return err
	}
	bot.Version = n
	if sameDraft(bot, trained) && (bot.Status == sb.BotTraining || bot.Status == sb.BotDraft) {
		bot.Status = sb.BotTrained
	}
	bot.Training = &sb.TrainingState{Status: sb.TrainingSucceeded, Version: &n, StartedAt: bot.Training.StartedAt, FinishedAt: &now}
	if err := q.UpdateBot(ctx, bot); err != nil {
		return err
	}
	q.AfterCommit(func() { s.forget(bot.ID) })
	return s.events.Publish(ctx, q, sb.BotVersionEvent(sb.EventBotTrained, bot, v, nil))
}

// nextVersion is the number of a bot's next version.
func nextVersion(ctx context.Context, q sb.Queries, bot *sb.Bot) (int, error) {
	latest, err := q.ListBotVersions(ctx, bot.WorkspaceID, bot.ID, sb.Page{Limit: 1})
	if err != nil || len(latest) == 0 {
		return 1, err
	}
	return latest[0].Version + 1, nil
}

// sameDraft reports whether two reads of a bot have the same draft.
func sameDraft(a, b *sb.Bot) bool {
	return bytes.Equal(a.Config, b.Config) && maps.Equal(a.Secrets, b.Secrets)
}

// trainingFailed ends a training job with the bot's status error (if it
// was still training), training.error and bot.error.
func (s *Service) trainingFailed(ctx context.Context, j *sb.Job, trained *sb.Bot, msg string) {
	s.jobs.Finish(ctx, j, func(q sb.Queries) error {
		bot, err := lockedBot(ctx, q, trained.WorkspaceID, trained.ID)
		if sb.ErrorCode(err) == sb.ENotFound {
			return nil
		}
		if err != nil || bot.Training == nil || bot.Training.Status != sb.TrainingRunning {
			return err
		}
		now := s.now()
		bot.Training = &sb.TrainingState{Status: sb.TrainingFailed, StartedAt: bot.Training.StartedAt, FinishedAt: &now, Error: &msg}
		if bot.Status == sb.BotTraining {
			bot.Status = sb.BotError
		}
		if err := q.UpdateBot(ctx, bot); err != nil {
			return err
		}
		q.AfterCommit(func() { s.forget(bot.ID) })
		return s.events.Publish(ctx, q, sb.BotErrorEvent(bot, nil, "training failed: "+msg))
	})
}

// DeployBotParams name the version to deploy (nil: the newest).
type DeployBotParams struct {
	Version *int `json:"version"`
}

// DeployBot makes a version of the bot the one that answers, and emits
// bot.deployed. Deploying an older version than the one answering is a
// rollback. A version the bot does not have is invalid (400 naming
// version); a bot with no version at all is EConflict.
func (s *Service) DeployBot(ctx context.Context, ws, id string, req *DeployBotParams) (*sb.Bot, error) {
	if req.Version != nil && *req.Version < 1 {
		return nil, sb.Invalid("version", "must be a version number (1 or more)")
	}
	bot, err := writeResult(ctx, s, func(q sb.Queries) (*sb.Bot, error) {
		bot, err := lockedBot(ctx, q, ws, id)
		if err != nil {
			return nil, err
		}
		n := bot.Version
		if req.Version != nil {
			n = *req.Version
		}
		v, err := q.GetBotVersion(ctx, ws, id, n)
		switch {
		case sb.ErrorCode(err) == sb.ENotFound && req.Version != nil:
			return nil, sb.Invalid("version", "names no version of this bot")
		case sb.ErrorCode(err) == sb.ENotFound:
			return nil, sb.Errorf(sb.EConflict, "The bot has no trained version to deploy: train it first.")
		case err != nil:
			return nil, err
		}
		now := s.now()
		if err := q.DeployBotVersion(ctx, ws, id, n, now); err != nil {
			return nil, err
		}
		previous := bot.DeployedVersion
		bot.DeployedVersion, v.DeployedAt = &n, &now
		if bot.Status == sb.BotTrained || bot.Status == sb.BotDeployed {
			bot.Status = sb.BotTrained // the draft is the newest version: live only if that one is
			if n == bot.Version {
				bot.Status = sb.BotDeployed
			}
		}
		if err := q.UpdateBot(ctx, bot); err != nil {
			return nil, err
		}
		return bot, s.events.Publish(ctx, q, sb.BotVersionEvent(sb.EventBotDeployed, bot, v, previous))
	})
	if err != nil {
		return nil, err
	}
	s.forget(bot.ID)
	return bot, nil
}

// ListBotVersions returns a page of the bot's versions, newest first,
// with their metrics.
func (s *Service) ListBotVersions(ctx context.Context, ws, id string, p sb.Page) ([]*sb.BotVersion, error) {
	if _, err := s.store.GetBot(ctx, ws, id); err != nil {
		return nil, err
	}
	return s.store.ListBotVersions(ctx, ws, id, p)
}
