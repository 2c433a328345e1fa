package llm

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	sb "github.com/switchboardhq/switchboard"
)

// toolSet is the tools of a turn: their definitions as the model sees
// them, and what each name runs.
type toolSet struct {
	defs   []Tool
	byName map[string]toolEntry
}

// toolEntry is what a tool name runs: a built-in tool, or an action.
type toolEntry struct {
	kind          string // ToolKnowledge, ToolHandoff, ToolContact, or "action"
	integrationID string
	action        string
}

// Argument schemas of the built-in tools.
var (
	knowledgeSchema = json.RawMessage(`{"type":"object","properties":{` +
		`"key":{"type":"string","description":"The key of the fact, like order.latest; with prefix, the start of the keys to list, like order."},` +
		`"prefix":{"type":"boolean","description":"List every fact whose key starts with key (at most 20) instead of one."}},` +
		`"required":["key"],"additionalProperties":false}`)
	handoffSchema = json.RawMessage(`{"type":"object","properties":{` +
		`"reason":{"type":"string","description":"Why a person should take over, shown to the agents."}},` +
		`"required":["reason"],"additionalProperties":false}`)
	contactSchema = json.RawMessage(`{"type":"object","properties":{` +
		`"name":{"type":"string"},"email":{"type":"string"},"phone":{"type":"string","description":"International format, like +15551234567."},` +
		`"attributes":{"type":"object","description":"Attributes to set, merged into the contact's."}},` +
		`"additionalProperties":false}`)
	anyObject = json.RawMessage(`{"type":"object"}`)
)

// toolSet builds the definitions of the tools a configuration enables. An
// action whose integration or action is gone is left out.
func (e *Engine) toolSet(ctx context.Context, t *sb.BotTurn, cfg *Config) (*toolSet, error) {
	ts := &toolSet{byName: map[string]toolEntry{}}
	add := func(name, desc string, params json.RawMessage, entry toolEntry) {
		ts.defs = append(ts.defs, Tool{Type: "function", Function: ToolFunction{Name: name, Description: desc, Parameters: params}})
		ts.byName[name] = entry
	}
	for _, tool := range cfg.Tools {
		switch tool {
		case ToolKnowledge:
			add(tool, "Looks facts up (orders, products, anything the business keeps) for this customer and the business, by key or key prefix.",
				knowledgeSchema, toolEntry{kind: tool})
		case ToolHandoff:
			add(tool, "Passes the conversation to a human agent. Say so to the customer in your reply.", handoffSchema, toolEntry{kind: tool})
		case ToolContact:
			add(tool, "Updates what is known of the customer: name, email, phone or attributes.", contactSchema, toolEntry{kind: tool})
		default:
			id, action, ok := ParseActionTool(tool)
			if !ok || t.Tools == nil {
				continue
			}
			in, spec, err := t.Tools.DescribeAction(ctx, id, action)
			if sb.ErrorCode(err) == sb.ENotFound {
				continue
			}
			if err != nil {
				return nil, sb.ReplyErrorf(true, "llm bot: reading the integration of a tool: %s", err)
			}
			params := spec.Params
			if len(params) == 0 {
				params = anyObject
			}
			desc := spec.Description
			if desc == "" {
				desc = "Runs the " + action + " action"
			}
			desc = strings.TrimSuffix(desc, ".") + " (" + in.Type + " integration " + strconv.Quote(in.Name) + ")."
			add(ts.unique(toolName(action)), desc, params, toolEntry{kind: "action", integrationID: id, action: action})
		}
	}
	return ts, nil
}

// toolName is an action's name as a function name: the characters a
// function name may hold ([A-Za-z0-9_-]), at most 60.
func toolName(action string) string {
	b := []byte(action)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b[:min(len(b), 60)])
}

// unique returns name, or name followed by _2, _3, … if it is taken.
// The built-in tools' names are never an action's.
func (ts *toolSet) unique(name string) string {
	taken := func(s string) bool {
		_, used := ts.byName[s]
		return used || s == ToolKnowledge || s == ToolHandoff || s == ToolContact
	}
	if !taken(name) {
		return name
	}
	for n := 2; ; n++ {
		if s := name + "_" + strconv.Itoa(n); !taken(s) {
			return s
		}
	}
}

// turnState is a turn in progress: its tools, its answer so far (tool
// calls recorded), the calls made and the invalid ones.
type turnState struct {
	e       *Engine
	t       *sb.BotTurn
	tools   *toolSet
	answer  *sb.BotAnswer
	calls   int
	invalid int
}

// failed attaches what the turn did so far (its tool calls, its tokens)
// to a ReplyError, for the turn's record.
func (ts *turnState) failed(err error) error {
	var re *sb.ReplyError
	if errors.As(err, &re) && (len(ts.answer.ToolCalls) > 0 || ts.answer.PromptTokens > 0) {
		partial := *ts.answer
		re.Partial = &partial
	}
	return err
}

// errInvalid is arguments that do not fit a tool: the model is told, once.
type errInvalid struct{ msg string }

func (e *errInvalid) Error() string { return e.msg }

func invalidf(msg string) error { return &errInvalid{msg: msg} }

// call runs one tool call and returns the result for the model (a JSON
// document). An invalid call is answered with the error the first time and
// fails the turn the second; a failure of Switchboard itself (the database)
// fails the turn, to be retried.
func (ts *turnState) call(ctx context.Context, c WireCall) (string, error) {
	if ts.calls >= MaxToolCalls {
		return "", sb.ReplyErrorf(false, "llm bot: the model made more than %d tool calls in one turn", MaxToolCalls)
	}
	n := ts.calls
	ts.calls++
	rec := sb.ToolCall{Name: c.Function.Name, Arguments: argumentsJSON(c.Function.Arguments)}
	result, err := ts.run(ctx, c, n, &rec)
	var inv *errInvalid
	switch {
	case errors.As(err, &inv):
		rec.Error = inv.msg
		ts.answer.ToolCalls = append(ts.answer.ToolCalls, rec)
		ts.invalid++
		if ts.invalid > 1 {
			return "", sb.ReplyErrorf(false, "llm bot: the model called %s with invalid arguments again: %s", clip(c.Function.Name), inv.msg)
		}
		b, _ := json.Marshal(map[string]string{"error": inv.msg + ". Correct the arguments and call the tool again."})
		return string(b), nil
	case err != nil:
		return "", err
	}
	b, err := json.Marshal(result)
	if err != nil {
		return "", sb.ReplyErrorf(false, "llm bot: encoding a tool's result: %s", err)
	}
	rec.Result = b
	ts.answer.ToolCalls = append(ts.answer.ToolCalls, rec)
	return string(b), nil
}

// argumentsJSON is the arguments as recorded: the object the model sent,
// or, when it is not JSON, the text as a JSON string.
func argumentsJSON(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage("{}")
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// run runs a call; n numbers it among the turn's calls.
func (ts *turnState) run(ctx context.Context, c WireCall, n int, rec *sb.ToolCall) (any, error) {
	entry, ok := ts.tools.byName[c.Function.Name]
	if !ok {
		names := make([]string, 0, len(ts.tools.defs))
		for _, d := range ts.tools.defs {
			names = append(names, d.Function.Name)
		}
		if len(names) == 0 {
			return nil, invalidf("there is no tool " + strconv.Quote(clip(c.Function.Name)) + ": no tools are available")
		}
		return nil, invalidf("there is no tool " + strconv.Quote(clip(c.Function.Name)) + "; the tools are " + strings.Join(names, ", "))
	}
	args := strings.TrimSpace(c.Function.Arguments)
	if args == "" {
		args = "{}"
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		return nil, invalidf("the arguments must be a JSON object")
	}
	if strings.Contains(args, "{{") {
		return nil, invalidf("the arguments must not contain {{")
	}
	tools := ts.t.Tools
	switch entry.kind {
	case ToolKnowledge:
		return ts.knowledge(ctx, args)
	case ToolHandoff:
		var a struct {
			Reason string `json:"reason"`
		}
		if err := decode(args, &a); err != nil {
			return nil, err
		}
		a.Reason = strings.TrimSpace(a.Reason)
		if a.Reason == "" || len(a.Reason) > 1000 {
			return nil, invalidf("reason is required, at most 1000 characters")
		}
		ts.answer.Handoff, ts.answer.HandoffReason = true, a.Reason
		if ts.t.DryRun {
			rec.DryRun = true
			return map[string]any{"dry_run": true, "would": "pass the conversation to agents after your reply"}, nil
		}
		return map[string]any{"handed_off": true, "note": "A person takes over after your reply; tell the customer."}, nil
	case ToolContact:
		var u sb.ContactUpdate
		if err := decode(args, &u); err != nil {
			return nil, err
		}
		if u.Name == nil && u.Email == nil && u.Phone == nil && u.Attributes == nil {
			return nil, invalidf("give at least one of name, email, phone, attributes")
		}
		if tools == nil {
			return map[string]any{"error": "the contact cannot be changed here"}, nil
		}
		rec.DryRun = ts.t.DryRun
		ct, err := tools.UpdateContact(ctx, u)
		if err != nil {
			return nil, toolError(err, "updating the contact")
		}
		out := map[string]any{"contact": map[string]any{"name": ct.Name, "email": ct.Email, "phone": ct.Phone, "attributes": ct.Attributes}}
		if ts.t.DryRun {
			out["dry_run"], out["would"] = true, "update the contact as shown"
		} else {
			out["updated"] = true
		}
		return out, nil
	default:
		if tools == nil {
			return map[string]any{"error": "actions cannot run here"}, nil
		}
		a := sb.ToolAction{IntegrationID: entry.integrationID, Action: entry.action, Params: json.RawMessage(args), Call: n}
		if ts.t.DryRun {
			rec.DryRun = true
			if err := tools.CheckAction(ctx, a); err != nil {
				return nil, toolError(err, "checking the action")
			}
			return map[string]any{"dry_run": true, "would": "run the " + entry.action + " action with these params"}, nil
		}
		run, err := tools.RunAction(ctx, a, ts.e.actionWait)
		if err != nil {
			return nil, toolError(err, "running the action")
		}
		out := map[string]any{"run_id": run.ID, "status": run.Status}
		switch run.Status {
		case sb.RunSucceeded:
			if len(run.Result) > 0 {
				out["result"] = run.Result
			}
		case sb.RunFailed:
			if run.Error != nil {
				out["error"] = *run.Error
			}
		default:
			out["note"] = "The action is still running; its outcome is not known yet."
		}
		return out, nil
	}
}

// knowledge looks facts up: {"key", "prefix"}.
func (ts *turnState) knowledge(ctx context.Context, args string) (any, error) {
	var a struct {
		Key    string `json:"key"`
		Prefix bool   `json:"prefix"`
	}
	if err := decode(args, &a); err != nil {
		return nil, err
	}
	check := a.Key
	if a.Prefix {
		check = strings.TrimSuffix(check, ".")
	}
	if !sb.ValidFactKey(check) {
		return nil, invalidf("key must be a fact key: letters, digits, _, - and : in segments separated by dots, like order.latest")
	}
	if ts.t.Tools == nil {
		return map[string]any{"facts": []any{}}, nil
	}
	facts, err := ts.t.Tools.Facts(ctx, a.Key, a.Prefix, 20)
	if err != nil {
		return nil, sb.ReplyErrorf(true, "llm bot: looking facts up: %s", err)
	}
	out := make([]map[string]any, 0, len(facts))
	for _, f := range facts {
		m := map[string]any{"key": f.Key, "text": f.Text}
		if len(f.Data) > 0 {
			m["data"] = f.Data
		}
		out = append(out, m)
	}
	res := map[string]any{"facts": out}
	if len(out) == 0 {
		res["note"] = "No fact is known under this key."
	}
	return res, nil
}

// decode decodes arguments strictly; errors are invalid calls naming the
// field.
func decode(args string, v any) error {
	if err := sb.DecodeStrict([]byte(args), v, ""); err != nil {
		return invalidf(describe(err))
	}
	return nil
}

// toolError makes an EInvalid error of a tool an invalid call (the model is
// told), and anything else a failure of the turn, retried.
func toolError(err error, doing string) error {
	if sb.ErrorCode(err) == sb.EInvalid {
		return invalidf(describe(err))
	}
	if sb.ErrorCode(err) == sb.ENotFound || sb.ErrorCode(err) == sb.EConflict {
		return invalidf(describe(err)) // the integration or action went away, or is disconnected
	}
	return sb.ReplyErrorf(true, "llm bot: %s: %s", doing, err)
}

// describe is an error's fields ("email must be an email address"), or
// its message.
func describe(err error) string {
	var e *sb.Error
	if errors.As(err, &e) {
		if len(e.Fields) == 0 {
			return strings.TrimSuffix(e.Message, ".")
		}
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		return strings.Join(parts, "; ")
	}
	return err.Error()
}
