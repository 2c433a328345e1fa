package queue_test

import (
	"context"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/groupcommit"
	"github.com/switchboardhq/switchboard/queue"
	"github.com/switchboardhq/switchboard/retry"
)

// A kind of background work: its payload (stored with the job) and its
// hint (what the writer already read, handed over in-process).
type trainArgs struct {
	BotID string `json:"bot_id"`
}

type trainHint struct{ Bot *sb.Bot }

var trainRetry = retry.Schedule{time.Second, time.Minute}

// Register a kind with its typed worker, write its jobs in the transaction
// of the change that needs them, and let the queue run them.
func ExampleRegister() {
	var db sb.Store // an open, migrated store
	commit := groupcommit.New(db, groupcommit.Options{})
	qu := queue.New(queue.Config{}, queue.Deps{Store: db, Commit: commit})
	train := queue.Register(qu, "train_bot", func(ctx context.Context, j *queue.Job[trainArgs, trainHint]) {
		var bot *sb.Bot
		if j.Hint != nil {
			bot = j.Hint.Bot // no need to read it again
		}
		if err := trainBot(ctx, j.Args.BotID, bot); err != nil {
			if d, ok := qu.Backoff(trainRetry, j.Attempts, 0); ok {
				qu.Retry(ctx, j.Job, time.Now().Add(d), err.Error())
				return
			}
		}
		qu.Finish(ctx, j.Job, func(q sb.Queries) error {
			return nil // the outcome, written with the job's deletion
		})
	})
	ctx := context.Background()
	qu.Start(ctx)
	defer qu.Stop(ctx)
	_ = commit.Do(ctx, func(q sb.Queries) error {
		bot := &sb.Bot{ID: "bot_1", WorkspaceID: "ws_1"}
		// … the change that asks for training, then its job:
		_, err := train.Enqueue(ctx, q, queue.NewJob[trainArgs]{
			WorkspaceID: bot.WorkspaceID, Key: bot.ID, Args: trainArgs{BotID: bot.ID},
		}, &trainHint{Bot: bot})
		return err
	})
}

func trainBot(context.Context, string, *sb.Bot) error { return nil }
