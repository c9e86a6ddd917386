package accounts

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// mailer sends plain-text mail through one SMTP server. net/smtp upgrades
// to TLS when the server offers STARTTLS, and refuses to send a password
// in the clear to anything but localhost.
type mailer struct {
	addr string // host:port
	host string
	auth smtp.Auth
	from string
}

func newMailer(rawURL, from string) (*mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("bad --smtp-url: use smtp://user:password@host:port")
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	m := &mailer{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname()}
	if u.User != nil {
		pass, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	if from == "" {
		return nil, fmt.Errorf("--smtp-from is needed with --smtp-url: the address confirmation mails come from")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("bad --smtp-from %q: %w", from, err)
	}
	m.from = a.Address
	return m, nil
}

func (m *mailer) send(to, subject, body string) error {
	id := make([]byte, 12)
	_, _ = rand.Read(id) // crypto/rand does not fail on supported platforms
	var b strings.Builder
	for _, h := range [][2]string{
		{"From", "dpcma <" + m.from + ">"},
		{"To", to},
		{"Subject", mime.QEncoding.Encode("utf-8", subject)},
		{"Date", time.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + hex.EncodeToString(id) + "@" + m.host + ">"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", "8bit"},
	} {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return smtp.SendMail(m.addr, m.auth, m.from, []string{to}, []byte(b.String()))
}

func confirmationMail(email, link string, ttl time.Duration) string {
	return fmt.Sprintf(`Hello,

Someone, probably you, registered %s with dpcma, the digital primary
care maturity service. To confirm the address and get your access token,
open this link within %s:

%s

If it was not you, ignore this mail: nothing happens without the link.
`, email, humanDuration(ttl), link)
}
