package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/app"
)

// The Inbox: where agents (and admins) answer conversations. The list
// shows the workspace's conversations, the newest activity first, filtered
// by status, channel and assignee, with what the person has not read yet;
// handoffs waiting for an agent stand out. A conversation's page shows its
// thread as it grows, the contact and what is known about them beside it,
// and the moves: take over (handoff, assigned to me), answer as an agent,
// hand back to the bot, assign, end (after a confirmation). The list stays
// beside the thread, so that j and k move through it.

func (h *Handler) mountInbox(mux *http.ServeMux) {
	h.liveHub = newLiveHub(h, h.cfg)
	mux.Handle("GET /live", http.HandlerFunc(h.live))
	mux.Handle("GET /inbox", h.page(false, h.inboxPage))
	mux.Handle("GET /inbox/{id}", h.page(false, h.conversationPage))
	mux.Handle("POST /inbox/{id}/takeover", h.page(false, h.takeOver))
	mux.Handle("POST /inbox/{id}/reply", h.page(false, h.reply))
	mux.Handle("POST /inbox/{id}/handback", h.page(false, h.handBack))
	mux.Handle("POST /inbox/{id}/assign", h.page(false, h.assign))
	mux.Handle("GET /inbox/{id}/end", h.page(false, h.endPage))
	mux.Handle("POST /inbox/{id}/end", h.page(false, h.end))
}

// inboxFilters are the list's filters, kept in the URLs of the list and
// of the conversations opened from it.
type inboxFilters struct {
	Status, ChannelID, Assignee string
}

func filtersOf(r *http.Request) inboxFilters {
	q := r.URL.Query()
	return inboxFilters{Status: q.Get("status"), ChannelID: q.Get("channel_id"), Assignee: q.Get("assignee")}
}

// Query is the filters as a query string ("" or "?status=handoff...").
func (f inboxFilters) Query() string {
	q := url.Values{}
	for k, v := range map[string]string{"status": f.Status, "channel_id": f.ChannelID, "assignee": f.Assignee} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// inboxRow is one conversation of the list.
type inboxRow struct {
	app.InboxItem
	Channel string // its channel's name
	// Current marks the conversation open beside the list.
	Current bool
}

// Name is what the list calls the contact.
func (r inboxRow) Name() string { return contactName(r.Contact) }

// Waiting reports a handoff nobody has taken yet.
func (r inboxRow) Waiting() bool {
	return r.Conversation.Status == sb.ConversationHandoff && assigneeOf(r.Conversation) == ""
}

func contactName(c *sb.Contact) string {
	switch {
	case c == nil:
		return "Unknown contact"
	case c.Name != "":
		return c.Name
	case c.Email != "":
		return c.Email
	case c.Phone != "":
		return c.Phone
	}
	return c.ExternalID
}

// assigneeOf returns a conversation's assignee, "" for none.
func assigneeOf(c *sb.Conversation) string {
	if c.Assignee == nil {
		return ""
	}
	return *c.Assignee
}

type inboxView struct {
	Filters  inboxFilters
	Channels []app.ChannelView
	Rows     []inboxRow
	Pager    pager
	// Waiting is the number of handoffs on this page nobody has taken.
	Waiting int
}

// Statuses are the choices of the status filter.
func (inboxView) Statuses() []string {
	return []string{sb.ConversationActive, sb.ConversationHandoff, sb.ConversationEnded}
}

func (h *Handler) inboxPage(w http.ResponseWriter, r *http.Request, v *visit) {
	data := &inboxView{Filters: filtersOf(r)}
	p := &pageView{Title: "Inbox", Section: "inbox", visit: v, Data: data}
	rows, err := h.inboxList(r.Context(), v, data, listPage(r), "")
	if err != nil {
		h.failed(w, r, err, "inbox", p)
		return
	}
	data.Rows, data.Pager = paginate(r, rows, func(row inboxRow) string { return row.Conversation.ID })
	for _, row := range data.Rows {
		if row.Waiting() {
			data.Waiting++
		}
	}
	h.show(w, http.StatusOK, "inbox", p)
}

// inboxList reads a page of the inbox with the filters of data, and the
// channels for the filter's choices and the rows' names.
func (h *Handler) inboxList(ctx context.Context, v *visit, data *inboxView, page sb.Page, current string) ([]inboxRow, error) {
	channels, err := h.app.ListChannels(ctx, v.Workspace, sb.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	data.Channels = channels
	names := map[string]string{}
	for _, c := range channels {
		names[c.ID] = c.Name
	}
	f := data.Filters
	items, err := h.app.ListInbox(ctx, v.Workspace, v.User, app.InboxParams{Status: f.Status, ChannelID: f.ChannelID, Assignee: f.Assignee}, page)
	if err != nil {
		return nil, err
	}
	rows := make([]inboxRow, len(items))
	for i, it := range items {
		rows[i] = inboxRow{InboxItem: it, Channel: names[it.Conversation.ChannelID], Current: it.Conversation.ID == current}
	}
	return rows, nil
}

// conversationView is a conversation's page.
type conversationView struct {
	Conversation *sb.Conversation
	Contact      *sb.Contact
	Channel      app.ChannelView
	// Messages are the thread's page, oldest first; Older links to the
	// messages before them.
	Messages []*sb.Message
	Older    string
	Facts    []*sb.Fact
	Users    []*sb.User
	// List is the inbox beside the thread.
	List *inboxView
	// Text is the reply being written (kept when it is refused).
	Text string
}

// Name is what the page calls the contact.
func (c *conversationView) Name() string { return contactName(c.Contact) }

// Open reports whether the conversation has not ended.
func (c *conversationView) Open() bool { return c.Conversation.Status != sb.ConversationEnded }

// Handoff reports whether agents answer now.
func (c *conversationView) Handoff() bool { return c.Conversation.Status == sb.ConversationHandoff }

// Mine reports whether the conversation is assigned to the person.
func (c *conversationView) Mine(p *pageView) bool {
	return assigneeOf(c.Conversation) == p.User.Email
}

// Who names the author of a message.
func (c *conversationView) Who(m *sb.Message) string {
	switch m.Sender {
	case sb.SenderUser:
		return c.Name()
	case sb.SenderBot:
		return "Bot"
	case sb.SenderAgent:
		return "Agent"
	}
	return "System"
}

// Back is the inbox list with the filters the conversation was opened
// from.
func (c *conversationView) Back() string { return "/inbox" + c.List.Filters.Query() }

// Self is the conversation's URL with the list's filters.
func (c *conversationView) Self() string {
	return "/inbox/" + c.Conversation.ID + c.List.Filters.Query()
}

// loadConversation reads everything a conversation's page shows.
func (h *Handler) loadConversation(r *http.Request, v *visit, id string) (*conversationView, error) {
	ctx := r.Context()
	conv, err := h.app.GetConversation(ctx, v.Workspace, id)
	if err != nil {
		return nil, err
	}
	c := &conversationView{Conversation: conv, List: &inboxView{Filters: filtersOf(r)}}
	if c.Contact, err = h.app.GetContact(ctx, v.Workspace, conv.ContactID); err != nil {
		return nil, err
	}
	if c.Channel, err = h.app.GetChannel(ctx, v.Workspace, conv.ChannelID); err != nil {
		return nil, err
	}
	older := r.URL.Query().Get("older")
	msgs, err := h.app.ListMessages(ctx, v.Workspace, id, sb.Page{Limit: pageSize, After: older})
	if err != nil {
		return nil, err
	}
	if len(msgs) > pageSize {
		msgs = msgs[:pageSize]
		q := r.URL.Query()
		q.Set("older", msgs[len(msgs)-1].ID)
		c.Older = "/inbox/" + id + "?" + q.Encode()
	}
	slices.Reverse(msgs)
	c.Messages = msgs
	if c.Facts, err = h.contactFacts(ctx, v.Workspace, c.Contact); err != nil {
		return nil, err
	}
	if c.Users, err = h.app.ListUsers(ctx, v.Workspace, sb.Page{Limit: 200}); err != nil {
		return nil, err
	}
	if len(c.Users) > 200 {
		c.Users = c.Users[:200]
	}
	rows, err := h.inboxList(ctx, v, c.List, sb.Page{Limit: pageSize}, id)
	if err != nil {
		// The list beside the thread is a convenience: a bad filter in
		// the URL leaves it out rather than the conversation.
		if sb.ErrorCode(err) != sb.EInvalid {
			return nil, err
		}
		c.List.Filters, rows = inboxFilters{}, nil
	}
	c.List.Rows, _ = paginate(r, rows, func(row inboxRow) string { return row.Conversation.ID })
	if older == "" && len(msgs) > 0 {
		// Reading the newest messages reads the conversation; a mark with
		// nothing unread after it stays (no write at each live refresh).
		unread := true
		for i := range c.List.Rows {
			if c.List.Rows[i].Current {
				unread = c.List.Rows[i].Unread > 0
				c.List.Rows[i].Unread = 0
			}
		}
		if unread {
			if err := h.app.MarkRead(ctx, v.Workspace, v.User.ID, id, msgs[len(msgs)-1].ID); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// contactFacts are the unexpired facts about a contact: by the contact,
// its email and its phone.
func (h *Handler) contactFacts(ctx context.Context, ws string, c *sb.Contact) ([]*sb.Fact, error) {
	var facts []*sb.Fact
	seen := map[string]bool{}
	for _, f := range []app.FactListParams{{ContactID: c.ID}, {Email: c.Email}, {Phone: c.Phone}} {
		if f.ContactID == "" && f.Email == "" && f.Phone == "" {
			continue
		}
		list, err := h.app.ListFacts(ctx, ws, f, sb.Page{Limit: 20})
		if err != nil {
			return nil, err
		}
		for _, fact := range list[:min(len(list), 20)] {
			if !seen[fact.ID] {
				seen[fact.ID] = true
				facts = append(facts, fact)
			}
		}
	}
	return facts, nil
}

func (h *Handler) conversationPage(w http.ResponseWriter, r *http.Request, v *visit) {
	p := &pageView{Title: "Conversation", Section: "inbox", visit: v}
	c, err := h.loadConversation(r, v, r.PathValue("id"))
	if err != nil {
		h.failed(w, r, err, "", p)
		return
	}
	p.Title, p.Data = c.Name(), c
	h.show(w, http.StatusOK, "conversation", p)
}

// changed ends a move on a conversation: back to its page, with a notice;
// a refused move re-renders the page with the reason.
func (h *Handler) changed(w http.ResponseWriter, r *http.Request, v *visit, err error, notice string, keep func(*conversationView)) {
	id := r.PathValue("id")
	if err == nil {
		h.done(w, r, "/inbox/"+id+filtersOf(r).Query(), notice)
		return
	}
	p := &pageView{Title: "Conversation", Section: "inbox", visit: v}
	c, lerr := h.loadConversation(r, v, id)
	if lerr != nil {
		h.failed(w, r, lerr, "", p)
		return
	}
	if keep != nil {
		keep(c)
	}
	p.Title, p.Data = c.Name(), c
	h.failed(w, r, err, "conversation", p)
}

func (h *Handler) takeOver(w http.ResponseWriter, r *http.Request, v *visit) {
	_, err := h.app.UpdateConversation(r.Context(), v.Workspace, r.PathValue("id"), &app.UpdateConversationParams{
		Status:   sb.Optional[string]{Set: true, Value: sb.ConversationHandoff},
		Assignee: sb.Optional[string]{Set: true, Value: v.User.Email}})
	h.changed(w, r, v, err, "You took over: the bot is paused and the conversation is assigned to you.", nil)
}

func (h *Handler) reply(w http.ResponseWriter, r *http.Request, v *visit) {
	text := strings.TrimRight(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"), " \n\t")
	_, err := h.app.Reply(r.Context(), v.Workspace, r.PathValue("id"), &app.ReplyParams{Text: text, Sender: sb.SenderAgent})
	h.changed(w, r, v, err, "Your answer is on its way.", func(c *conversationView) { c.Text = r.PostFormValue("text") })
}

func (h *Handler) handBack(w http.ResponseWriter, r *http.Request, v *visit) {
	_, err := h.app.UpdateConversation(r.Context(), v.Workspace, r.PathValue("id"), &app.UpdateConversationParams{
		Status: sb.Optional[string]{Set: true, Value: sb.ConversationActive}})
	h.changed(w, r, v, err, "Handed back: the bot answers again.", nil)
}

func (h *Handler) assign(w http.ResponseWriter, r *http.Request, v *visit) {
	userID := r.PostFormValue("user_id")
	c, err := h.app.AssignConversation(r.Context(), v.Workspace, r.PathValue("id"), userID)
	notice := "Assigned to nobody."
	if err == nil && c.Assignee != nil {
		notice = "Assigned to " + *c.Assignee + "."
	}
	h.changed(w, r, v, err, notice, nil)
}

func (h *Handler) endPage(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	conv, err := h.app.GetConversation(r.Context(), v.Workspace, id)
	if err != nil {
		h.failed(w, r, err, "", &pageView{visit: v})
		return
	}
	back := "/inbox/" + id + filtersOf(r).Query()
	if conv.Status == sb.ConversationEnded {
		h.done(w, r, back, "The conversation has already ended.")
		return
	}
	name := "the contact"
	if ct, err := h.app.GetContact(r.Context(), v.Workspace, conv.ContactID); err == nil {
		name = contactName(ct)
	}
	h.confirm(w, v, "inbox", &confirmation{
		Question: "End the conversation with " + name + "?",
		Consequences: []string{
			"Nobody can write in it any more: neither the bot nor agents.",
			"The contact's next message starts a new conversation.",
		},
		Action: "/inbox/" + id + "/end" + filtersOf(r).Query(), Button: "End the conversation", Back: back,
	})
}

func (h *Handler) end(w http.ResponseWriter, r *http.Request, v *visit) {
	_, err := h.app.UpdateConversation(r.Context(), v.Workspace, r.PathValue("id"), &app.UpdateConversationParams{
		Status: sb.Optional[string]{Set: true, Value: sb.ConversationEnded}})
	h.changed(w, r, v, err, "The conversation has ended.", nil)
}
