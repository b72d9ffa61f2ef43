package replay

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind identifies what a Command does.
type Kind uint8

const (
	// KindSetupConfig is setup_config. The selftests use it to enable the
	// livepatch pr_debug output. Replay files always expect that output, so
	// the command has no effect.
	KindSetupConfig Kind = iota + 1
	// KindSetDynamicDebug is set_dynamic_debug, the 5.1-era form of the same
	// debug setting. It has no effect.
	KindSetDynamicDebug
	// KindStartTest is start_test DESCRIPTION. It marks where the log that
	// check_result compares begins.
	KindStartTest
	// KindLoadMod is load_mod MOD [PARAMS]: load a target module, which must
	// succeed.
	KindLoadMod
	// KindLoadLP is load_lp MOD [PARAMS]: load a livepatch module and wait
	// until its patching transition has finished.
	KindLoadLP
	// KindLoadLPNoWait is load_lp_nowait MOD [PARAMS]: load a livepatch
	// module without waiting for its transition.
	KindLoadLPNoWait
	// KindLoadFailingMod is load_failing_mod MOD [PARAMS]: a load that must
	// fail. The helper logs modprobe's error message.
	KindLoadFailingMod
	// KindUnloadMod is unload_mod MOD: wait until the module's refcount is 0,
	// then remove it, which must succeed.
	KindUnloadMod
	// KindUnloadLP is unload_lp MOD, the same as unload_mod for a livepatch
	// module.
	KindUnloadLP
	// KindDisableLP is disable_lp MOD: write 0 to the patch's enabled
	// attribute and wait until the unpatching has finished.
	KindDisableLP
	// KindSetPrePatchRet is set_pre_patch_ret MOD VALUE: set the value that
	// the callbacks demo's next pre-patch callback returns.
	KindSetPrePatchRet
	// KindWriteEnabled is echo VALUE > /sys/kernel/livepatch/MOD/enabled.
	KindWriteEnabled
	// KindWriteForce is echo VALUE > /sys/kernel/livepatch/MOD/force.
	KindWriteForce
	// KindWritePrePatchRet is echo VALUE > /sys/module/MOD/parameters/pre_patch_ret.
	KindWritePrePatchRet
	// KindSleep is sleep SECONDS.
	KindSleep
	// KindRmmod is rmmod MOD: one removal attempt, without waiting for the
	// refcount.
	KindRmmod
	// KindModprobe is modprobe MOD [PARAMS]: one load attempt.
	KindModprobe
	// KindInsmod is insmod MOD [PARAMS]: one load attempt. It is accepted only
	// as the command of expect_error.
	KindInsmod
	// KindExpectError is expect_error ERRNO COMMAND, a klpcheck extension: the
	// single attempt in Inner must fail with Errno.
	KindExpectError
	// KindCheckResult is check_result "EXPECTED": compare the kernel log since
	// start_test with Expected.
	KindCheckResult
)

var kindNames = [...]string{
	KindSetupConfig:      "setup_config",
	KindSetDynamicDebug:  "set_dynamic_debug",
	KindStartTest:        "start_test",
	KindLoadMod:          "load_mod",
	KindLoadLP:           "load_lp",
	KindLoadLPNoWait:     "load_lp_nowait",
	KindLoadFailingMod:   "load_failing_mod",
	KindUnloadMod:        "unload_mod",
	KindUnloadLP:         "unload_lp",
	KindDisableLP:        "disable_lp",
	KindSetPrePatchRet:   "set_pre_patch_ret",
	KindWriteEnabled:     "echo enabled",
	KindWriteForce:       "echo force",
	KindWritePrePatchRet: "echo pre_patch_ret",
	KindSleep:            "sleep",
	KindRmmod:            "rmmod",
	KindModprobe:         "modprobe",
	KindInsmod:           "insmod",
	KindExpectError:      "expect_error",
	KindCheckResult:      "check_result",
}

// String returns the command name as written in a replay file, or
// "echo ATTRIBUTE" for a sysfs write.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Param is one module parameter of a load, such as replace=0.
type Param struct {
	Name  string
	Value string
}

// Command is one parsed replay step. Only the fields that its Kind lists are
// set.
type Command struct {
	Line int // 1-based line on which the command starts
	Kind Kind
	// Text is the first source line of the command without surrounding
	// blanks, for messages.
	Text string

	// Module is the module or patch name of every kind except setup_config,
	// set_dynamic_debug, start_test, sleep, expect_error and check_result.
	Module string
	// Params are the module parameters of a load, in source order.
	Params []Param
	// Value is the integer written by KindWrite* and KindSetPrePatchRet.
	Value int
	// Seconds is the duration of KindSleep.
	Seconds float64
	// Description is the argument of KindStartTest.
	Description string
	// Errno is the symbolic errno of KindExpectError, a key of Errnos.
	Errno string
	// Inner is the attempt of KindExpectError: KindWriteEnabled,
	// KindWriteForce, KindWritePrePatchRet, KindRmmod, KindModprobe or
	// KindInsmod.
	Inner *Command
	// Expected are the lines of KindCheckResult, in order. An empty argument
	// gives no lines.
	Expected []string
}

// Script is a parsed replay file.
type Script struct {
	// Name is the file name given to Parse.
	Name string
	// Kernel is the value of a "# klpcheck: kernel=K" comment before the
	// first command, or "" when the file has none.
	Kernel string
	// Commands are the steps in file order. Assignments are expanded at
	// parse time and do not appear.
	Commands []Command
}

// Errnos maps the errno names that expect_error accepts to their values on
// Linux x86 and arm64. EAGAIN is also EWOULDBLOCK, which delete_module
// returns while a module is in use.
var Errnos = map[string]int{
	"ENOENT": 2,
	"EAGAIN": 11,
	"EBUSY":  16,
	"EEXIST": 17,
	"ENODEV": 19,
	"EINVAL": 22,
}

// SyntaxError reports a line that replay does not support.
type SyntaxError struct {
	File   string // file name given to Parse
	Line   int    // 1-based line of the offending text
	Text   string // that source line, without surrounding blanks
	Reason string // reason the line is rejected
	// Subject names what Text is, "command" or "klpcheck directive". It
	// is empty for a problem with the file's bytes, such as CRLF line
	// endings, which concerns no command.
	Subject string
}

// Error returns "FILE:LINE: unsupported SUBJECT "TEXT": REASON", or
// "FILE:LINE: REASON" when Subject is empty.
func (e *SyntaxError) Error() string {
	if e.Subject == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s:%d: unsupported %s %q: %s", e.File, e.Line, e.Subject, e.Text, e.Reason)
}

// Parse turns the replay file src into a Script. name is used in error
// messages. Every error is a *SyntaxError, and nothing in src is run.
func Parse(name string, src []byte) (*Script, error) {
	p := &parser{
		file:   name,
		src:    string(src),
		lines:  strings.Split(string(src), "\n"),
		line:   1,
		vars:   map[string]string{},
		script: &Script{Name: name},
	}
	if err := p.checkBytes(); err != nil {
		return nil, err
	}
	for {
		tokens, err := p.lexCommand()
		if err != nil {
			return nil, err
		}
		if tokens == nil {
			return p.script, nil
		}
		if err := p.handle(tokens); err != nil {
			return nil, err
		}
	}
}

// ---------------------------------------------------------------------------
// Lexer: shell words, quotes, expansions and the few operators replay uses.

type tokenKind uint8

const (
	tokenWord       tokenKind = iota
	tokenRedirect             // an unquoted ">"
	tokenAssignment           // VAR=value as the first word of a command
)

type token struct {
	kind tokenKind
	text string // the word after expansion, or the assigned value
	name string // the variable name of an assignment
	line int
}

type parser struct {
	file   string
	src    string
	lines  []string
	pos    int // byte offset of the next unread character
	line   int // line of src[pos]
	vars   map[string]string
	script *Script

	// State of the command being lexed. A source word can give several
	// fields, because an unquoted expansion is split at blanks.
	tokens       []token
	inWord       bool // inside a source word, so '#' does not start a comment
	wordsBegun   int  // source words begun in this command
	field        strings.Builder
	fieldStarted bool // the field exists, even if empty as in ""
	fieldLine    int
	wordDigits   bool   // the source word is unquoted literal digits, as in "2>"
	assignName   string // set while lexing the value of VAR=value
}

// errorAt returns the SyntaxError of a command on line.
func (p *parser) errorAt(line int, format string, args ...any) *SyntaxError {
	err := p.fileErrorAt(line, format, args...)
	err.Subject = "command"
	return err
}

// directiveErrorAt returns the SyntaxError of a "# klpcheck:" directive on
// line.
func (p *parser) directiveErrorAt(line int, format string, args ...any) *SyntaxError {
	err := p.fileErrorAt(line, format, args...)
	err.Subject = "klpcheck directive"
	return err
}

// fileErrorAt returns the SyntaxError of a problem with the bytes of line,
// which concerns no command.
func (p *parser) fileErrorAt(line int, format string, args ...any) *SyntaxError {
	return &SyntaxError{File: p.file, Line: line, Text: p.lineText(line), Reason: fmt.Sprintf(format, args...)}
}

// lineText returns source line number line without surrounding blanks.
func (p *parser) lineText(line int) string {
	if line < 1 || line > len(p.lines) {
		return ""
	}
	return strings.TrimSpace(p.lines[line-1])
}

// checkBytes rejects bytes that bash would treat differently from how a
// reader sees them.
func (p *parser) checkBytes() error {
	for i, line := range p.lines {
		if strings.HasSuffix(line, "\r") {
			return p.fileErrorAt(i+1, "CRLF line endings: convert the file to LF line endings, such as with dos2unix")
		}
		if strings.IndexByte(line, '\r') >= 0 {
			return p.fileErrorAt(i+1, "carriage return inside the line: remove it")
		}
		if strings.IndexByte(line, 0) >= 0 {
			return p.fileErrorAt(i+1, "NUL byte found: remove it")
		}
	}
	return nil
}

func (p *parser) peek(offset int) byte {
	if p.pos+offset < len(p.src) {
		return p.src[p.pos+offset]
	}
	return 0
}

// skip consumes n bytes and counts the newlines among them.
func (p *parser) skip(n int) {
	p.line += strings.Count(p.src[p.pos:p.pos+n], "\n")
	p.pos += n
}

// lexCommand reads the next command up to an unquoted newline, skipping
// blank lines and comments. It returns nil at the end of src.
func (p *parser) lexCommand() ([]token, error) {
	p.tokens = nil
	p.inWord = false
	p.wordsBegun = 0
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if isNameByte(c, true) && p.lexAssignmentPrefix() {
			continue
		}
		var err error
		switch {
		case c == '\n':
			p.endWord()
			p.skip(1)
			if len(p.tokens) > 0 {
				return p.tokens, nil
			}
		case c == ' ' || c == '\t':
			p.endWord()
			p.skip(1)
		case c == '#' && !p.inWord:
			err = p.lexComment()
		case c == '\\' && p.peek(1) == '\n':
			p.skip(2) // line continuation
		case c == '\\':
			if err = p.beginWord(); err == nil {
				p.skip(1)
				if p.pos < len(p.src) {
					p.appendLiteral(p.src[p.pos:p.pos+1], false)
					p.skip(1)
				} else {
					p.appendLiteral(`\`, false)
				}
			}
		case c == '\'':
			if err = p.beginWord(); err == nil {
				err = p.lexSingleQuoted()
			}
		case c == '"':
			if err = p.beginWord(); err == nil {
				err = p.lexDoubleQuoted()
			}
		case c == '$':
			if err = p.beginWord(); err == nil {
				err = p.lexDollar(false)
			}
		case c == '>':
			err = p.lexRedirect()
		case strings.IndexByte("`|&;<()*?", c) >= 0:
			err = p.operatorError(c)
		case c == '~' && !p.inWord:
			err = p.errorAt(p.line, "tilde expansion is not supported")
		default:
			if err = p.beginWord(); err == nil {
				p.appendLiteral(p.src[p.pos:p.pos+1], c >= '0' && c <= '9')
				p.skip(1)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	p.endWord()
	if len(p.tokens) == 0 {
		return nil, nil
	}
	return p.tokens, nil
}

func (p *parser) operatorError(c byte) error {
	switch c {
	case '`':
		return p.errorAt(p.line, "command substitution is not supported")
	case '|':
		if p.peek(1) == '|' {
			return p.errorAt(p.line, "'||' command lists are not supported")
		}
		return p.errorAt(p.line, "pipelines are not supported")
	case '&':
		switch p.peek(1) {
		case '&':
			return p.errorAt(p.line, "'&&' command lists are not supported")
		case '>':
			return p.errorAt(p.line, "'&>' redirections are not supported; only echo VALUE > PATH is")
		}
		return p.errorAt(p.line, "background commands (&) are not supported")
	case ';':
		return p.errorAt(p.line, "';' separators are not supported; write one command per line")
	case '<':
		return p.errorAt(p.line, "input redirections and here-documents are not supported")
	case '(', ')':
		return p.errorAt(p.line, "subshells, arrays and function definitions are not supported")
	default: // '*' or '?'
		return p.errorAt(p.line, "unquoted glob character %q; quote it", c)
	}
}

// beginWord starts a source word unless one is in progress.
func (p *parser) beginWord() error {
	if p.inWord {
		return nil
	}
	if len(p.tokens) > 0 && p.tokens[0].kind == tokenAssignment {
		return p.errorAt(p.line, "a VAR=value assignment must be alone on its line; prefix assignments for a command are not supported")
	}
	p.inWord = true
	p.wordsBegun++
	p.wordDigits = true
	return nil
}

// lexAssignmentPrefix consumes "NAME=" when it starts the first word of a
// command and reports whether it did. The rest of the word is the value.
func (p *parser) lexAssignmentPrefix() bool {
	if p.inWord || p.wordsBegun > 0 {
		return false
	}
	n := assignmentPrefix(p.src[p.pos:])
	if n == 0 {
		return false
	}
	p.inWord = true
	p.wordsBegun++
	p.assignName = p.src[p.pos : p.pos+n-1]
	p.fieldStarted = true
	p.fieldLine = p.line
	p.wordDigits = false
	p.skip(n)
	return true
}

// assignmentPrefix returns the length of a leading "NAME=", or 0.
func assignmentPrefix(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '=' && i > 0:
			return i + 1
		case isNameByte(c, i == 0):
			continue
		default:
			return 0
		}
	}
	return 0
}

func isNameByte(c byte, first bool) bool {
	if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
		return true
	}
	return !first && c >= '0' && c <= '9'
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return true
}

// appendLiteral adds text that is never split. digits is true when s is
// unquoted literal digits, the only text that can form an fd number.
func (p *parser) appendLiteral(s string, digits bool) {
	if !p.fieldStarted {
		p.fieldStarted = true
		p.fieldLine = p.line
	}
	p.wordDigits = p.wordDigits && digits
	p.field.WriteString(s)
}

// appendExpansion adds the value of an unquoted expansion, splitting it at
// blanks as bash does with the default IFS. Assignment values are not split.
func (p *parser) appendExpansion(value string, line int) {
	if p.assignName != "" {
		p.appendLiteral(value, false)
		return
	}
	p.wordDigits = false
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c == ' ' || c == '\t' || c == '\n' {
			p.endField()
			continue
		}
		if !p.fieldStarted {
			p.fieldStarted = true
			p.fieldLine = line
		}
		p.field.WriteByte(c)
	}
}

func (p *parser) endField() {
	if !p.fieldStarted {
		return
	}
	p.tokens = append(p.tokens, token{kind: tokenWord, text: p.field.String(), line: p.fieldLine})
	p.field.Reset()
	p.fieldStarted = false
}

func (p *parser) endWord() {
	if p.assignName != "" {
		p.tokens = append(p.tokens, token{kind: tokenAssignment, name: p.assignName, text: p.field.String(), line: p.fieldLine})
		p.field.Reset()
		p.fieldStarted = false
		p.assignName = ""
	} else {
		p.endField()
	}
	p.inWord = false
}

// lexComment skips a comment and applies a "klpcheck:" directive in it.
func (p *parser) lexComment() error {
	end := strings.IndexByte(p.src[p.pos:], '\n')
	if end < 0 {
		end = len(p.src) - p.pos
	}
	body := strings.TrimSpace(p.src[p.pos+1 : p.pos+end])
	line := p.line
	p.skip(end)
	directive, ok := strings.CutPrefix(body, "klpcheck:")
	if !ok {
		return nil
	}
	return p.applyDirective(strings.TrimSpace(directive), line)
}

// applyDirective records "kernel=K" from a "# klpcheck: kernel=K" comment,
// which must come before the first command.
func (p *parser) applyDirective(directive string, line int) error {
	if len(p.tokens) > 0 {
		return p.errorAt(line, "a klpcheck directive must be a whole-line comment")
	}
	if len(p.script.Commands) > 0 {
		return p.directiveErrorAt(line, "a klpcheck directive must come before the first command")
	}
	key, value, ok := strings.Cut(directive, "=")
	if !ok || key != "kernel" {
		return p.directiveErrorAt(line, "unknown klpcheck directive %q; the only one is kernel=NAME", directive)
	}
	if value == "" || strings.ContainsAny(value, " \t") {
		return p.directiveErrorAt(line, "invalid kernel name %q in klpcheck directive", value)
	}
	if p.script.Kernel != "" {
		return p.directiveErrorAt(line, "kernel already set to %q by an earlier klpcheck directive", p.script.Kernel)
	}
	p.script.Kernel = value
	return nil
}

func (p *parser) lexSingleQuoted() error {
	openLine := p.line
	end := strings.IndexByte(p.src[p.pos+1:], '\'')
	if end < 0 {
		return p.errorAt(openLine, "unterminated single quote")
	}
	p.appendLiteral(p.src[p.pos+1:p.pos+1+end], false)
	p.skip(end + 2)
	return nil
}

// lexDoubleQuoted reads "..." with bash's rules: a backslash escapes only $,
// `, ", \ and newline, and $VAR is expanded without splitting.
func (p *parser) lexDoubleQuoted() error {
	openLine := p.line
	p.appendLiteral("", false)
	p.skip(1)
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '"':
			p.skip(1)
			return nil
		case '\\':
			next := p.peek(1)
			switch next {
			case '$', '`', '"', '\\':
				p.appendLiteral(string(next), false)
				p.skip(2)
			case '\n':
				p.skip(2) // line continuation, removed inside double quotes too
			default:
				p.appendLiteral(`\`, false)
				p.skip(1)
			}
		case '$':
			if err := p.lexDollar(true); err != nil {
				return err
			}
		case '`':
			return p.errorAt(p.line, "command substitution is not supported")
		default:
			p.appendLiteral(p.src[p.pos:p.pos+1], false)
			p.skip(1)
		}
	}
	return p.errorAt(openLine, "unterminated double quote")
}

// lexDollar expands $NAME or ${NAME} at p.pos. A '$' that starts no
// expansion is literal, as in bash.
func (p *parser) lexDollar(quoted bool) error {
	line := p.line
	next := p.peek(1)
	switch {
	case next == '{':
		return p.lexBracedVariable(quoted)
	case next == '(' && p.peek(2) == '(':
		return p.errorAt(line, "arithmetic expansion is not supported")
	case next == '(':
		return p.errorAt(line, "command substitution is not supported")
	case isNameByte(next, true):
		n := 1
		for p.pos+1+n < len(p.src) && isNameByte(p.src[p.pos+1+n], false) {
			n++
		}
		name := p.src[p.pos+1 : p.pos+1+n]
		p.skip(1 + n)
		return p.expandVariable(name, quoted, line)
	case (next >= '0' && next <= '9') || (next != 0 && strings.IndexByte("@*#?$!-", next) >= 0):
		return p.errorAt(line, "special parameter $%c is not supported", next)
	case next == '\'' && !quoted:
		return p.errorAt(line, "ANSI-C quoting $'...' is not supported")
	case next == '"' && !quoted:
		return p.errorAt(line, "locale quoting $\"...\" is not supported")
	}
	p.appendLiteral("$", false)
	p.skip(1)
	return nil
}

func (p *parser) lexBracedVariable(quoted bool) error {
	line := p.line
	rest := p.src[p.pos+2:]
	end := strings.IndexAny(rest, "}\n")
	if end < 0 || rest[end] != '}' {
		return p.errorAt(line, "unterminated ${")
	}
	name := rest[:end]
	switch {
	case name == "":
		return p.errorAt(line, "empty ${} expansion")
	case isName(name):
		p.skip(2 + end + 1)
		return p.expandVariable(name, quoted, line)
	case (name[0] >= '0' && name[0] <= '9') || (len(name) == 1 && strings.IndexByte("@*#?$!-", name[0]) >= 0):
		return p.errorAt(line, "special parameter ${%s} is not supported", name)
	}
	return p.errorAt(line, "parameter expansion ${%s} is not supported; only ${NAME} is", name)
}

func (p *parser) expandVariable(name string, quoted bool, line int) error {
	value, ok := p.vars[name]
	if !ok {
		return p.errorAt(line, "undefined variable %s", name)
	}
	if quoted {
		p.appendLiteral(value, false)
		return nil
	}
	if p.assignName == "" && strings.ContainsAny(value, "*?[") {
		return p.errorAt(line, "unquoted expansion of %s contains a glob character; quote it", name)
	}
	p.appendExpansion(value, line)
	return nil
}

// lexRedirect reads an unquoted '>'. Only the plain form is accepted; the
// command check later allows it only in echo VALUE > PATH.
func (p *parser) lexRedirect() error {
	if p.inWord && p.wordDigits && p.fieldStarted {
		return p.errorAt(p.line, "file-descriptor redirection %s> is not supported; only echo VALUE > PATH is", p.field.String())
	}
	switch p.peek(1) {
	case '>':
		return p.errorAt(p.line, "append redirection (>>) is not supported; use >")
	case '&':
		return p.errorAt(p.line, "'>&' redirections are not supported; only echo VALUE > PATH is")
	case '|':
		return p.errorAt(p.line, "'>|' redirections are not supported; use >")
	}
	p.endWord()
	p.tokens = append(p.tokens, token{kind: tokenRedirect, text: ">", line: p.line})
	p.skip(1)
	return nil
}

// ---------------------------------------------------------------------------
// Commands: check each token list against the supported forms.

func (p *parser) handle(tokens []token) error {
	first := tokens[0]
	switch first.kind {
	case tokenAssignment:
		if len(tokens) > 1 {
			return p.errorAt(first.line, "a VAR=value assignment must be alone on its line")
		}
		p.vars[first.name] = first.text
		return nil
	case tokenRedirect:
		return p.errorAt(first.line, "a redirection before the command is not supported; only echo VALUE > PATH is")
	}
	cmd, err := p.parseCommand(tokens, false)
	if err != nil {
		return err
	}
	p.script.Commands = append(p.script.Commands, cmd)
	return nil
}

// commandKinds maps the command names that parseCommand accepts to their
// kinds. A sysfs write gets its kind from the path instead.
var commandKinds = map[string]Kind{
	"setup_config":      KindSetupConfig,
	"set_dynamic_debug": KindSetDynamicDebug,
	"start_test":        KindStartTest,
	"load_mod":          KindLoadMod,
	"load_lp":           KindLoadLP,
	"load_lp_nowait":    KindLoadLPNoWait,
	"load_failing_mod":  KindLoadFailingMod,
	"unload_mod":        KindUnloadMod,
	"unload_lp":         KindUnloadLP,
	"disable_lp":        KindDisableLP,
	"set_pre_patch_ret": KindSetPrePatchRet,
	"sleep":             KindSleep,
	"rmmod":             KindRmmod,
	"modprobe":          KindModprobe,
	"insmod":            KindInsmod,
	"expect_error":      KindExpectError,
	"check_result":      KindCheckResult,
}

// Reasons for command names that replay rejects on sight.
var rejectedCommands = func() map[string]string {
	reasons := map[string]string{
		"[":      "conditional expressions are not supported",
		"[[":     "conditional expressions are not supported",
		"test":   "conditional expressions are not supported",
		".":      "sourcing other files is not supported; the functions.sh helpers are built in",
		"source": "sourcing other files is not supported; the functions.sh helpers are built in",
	}
	for _, keyword := range []string{"if", "then", "else", "elif", "fi", "case", "esac", "for",
		"select", "while", "until", "do", "done", "function", "{", "}", "!", "]]", "time", "coproc"} {
		reasons[keyword] = fmt.Sprintf("shell keyword %q is not supported; a replay file is a plain list of commands", keyword)
	}
	for _, helper := range []string{"loop_until", "log", "die", "skip", "is_root", "assert_mod",
		"is_livepatch_mod", "push_config", "pop_config", "set_ftrace_enabled", "cleanup",
		"__load_mod", "_remove_mod", "wait_for_transition", "check_sysfs_rights", "check_sysfs_value"} {
		reasons[helper] = fmt.Sprintf("functions.sh helper %s is not supported by klpcheck replay", helper)
	}
	for _, builtin := range []string{"local", "export", "readonly", "declare", "typeset", "set",
		"unset", "exit", "return", "trap", "eval", "exec", "cd", "shift", "read", "alias"} {
		reasons[builtin] = fmt.Sprintf("shell builtin %s is not supported", builtin)
	}
	return reasons
}()

// parseCommand checks one command. inner is true for the command of
// expect_error, which must be a single attempt.
func (p *parser) parseCommand(tokens []token, inner bool) (Command, error) {
	line := tokens[0].line
	name := tokens[0].text
	cmd := Command{Line: line, Text: p.lineText(line), Kind: commandKinds[name]}
	if tokens[0].kind != tokenWord {
		return cmd, p.errorAt(line, "expected a command after expect_error ERRNO")
	}
	if inner {
		switch name {
		case "echo", "rmmod", "modprobe", "insmod":
		default:
			return cmd, p.errorAt(line, "expect_error supports only echo VALUE > PATH, rmmod, modprobe and insmod, not %q", name)
		}
	}
	switch name {
	case "echo":
		return p.parseEcho(cmd, tokens[1:])
	case "expect_error":
		return p.parseExpectError(cmd, tokens[1:])
	}
	for _, t := range tokens[1:] {
		if t.kind == tokenRedirect {
			return cmd, p.errorAt(t.line, "redirections are supported only in the form echo VALUE > PATH")
		}
	}
	args := make([]string, 0, len(tokens)-1)
	for _, t := range tokens[1:] {
		args = append(args, t.text)
	}

	var reason string
	switch name {
	case "setup_config", "set_dynamic_debug":
		if len(args) > 0 {
			reason = name + " takes no arguments"
		}
	case "start_test":
		if len(args) != 1 {
			reason = fmt.Sprintf("start_test takes one quoted description, got %d arguments", len(args))
		} else {
			cmd.Description = args[0]
		}
	case "load_mod", "load_lp", "load_lp_nowait", "load_failing_mod":
		reason = parseLoad(&cmd, name, args)
	case "unload_mod", "unload_lp", "disable_lp", "rmmod":
		reason = parseModuleOnly(&cmd, name, args)
	case "modprobe", "insmod":
		if name == "insmod" && !inner {
			reason = "insmod is supported only inside expect_error; use modprobe or the load_* helpers"
		} else {
			reason = parseLoad(&cmd, name, args)
		}
	case "set_pre_patch_ret":
		if len(args) != 2 {
			reason = fmt.Sprintf("set_pre_patch_ret takes a module name and a value, got %d arguments", len(args))
		} else if reason = checkModuleName(args[0]); reason == "" {
			cmd.Module = args[0]
			cmd.Value, reason = parseInteger(args[1])
		}
	case "sleep":
		if len(args) != 1 {
			reason = fmt.Sprintf("sleep takes one duration in seconds, got %d arguments", len(args))
		} else {
			cmd.Seconds, reason = parseSeconds(args[0])
		}
	case "check_result":
		reason = parseCheckResult(&cmd, args)
	default:
		if known, ok := rejectedCommands[name]; ok {
			reason = known
		} else {
			reason = fmt.Sprintf("unknown command %q", name)
		}
	}
	if reason != "" {
		return cmd, p.errorAt(line, "%s", reason)
	}
	return cmd, nil
}

func (p *parser) parseExpectError(cmd Command, tokens []token) (Command, error) {
	cmd.Kind = KindExpectError
	if len(tokens) < 2 {
		return cmd, p.errorAt(cmd.Line, "expect_error takes an errno name and a command")
	}
	errno := tokens[0].text
	if _, ok := Errnos[errno]; !ok || tokens[0].kind != tokenWord {
		hint := ""
		if errno == "EWOULDBLOCK" {
			hint = " (EWOULDBLOCK is EAGAIN on Linux)"
		}
		return cmd, p.errorAt(cmd.Line, "unsupported errno %q%s; use one of %s", errno, hint, errnoList())
	}
	inner, err := p.parseCommand(tokens[1:], true)
	if err != nil {
		return cmd, err
	}
	cmd.Errno = errno
	cmd.Inner = &inner
	return cmd, nil
}

func errnoList() string {
	names := make([]string, 0, len(Errnos))
	for name := range Errnos {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseEcho checks the arguments of echo, which must be VALUE > PATH.
func (p *parser) parseEcho(cmd Command, tokens []token) (Command, error) {
	form := "echo must write one integer to a supported sysfs file: echo VALUE > PATH"
	if len(tokens) > 0 && tokens[0].kind == tokenWord && strings.HasPrefix(tokens[0].text, "-") &&
		!isInteger(tokens[0].text) {
		return cmd, p.errorAt(cmd.Line, "echo options such as %q are not supported", tokens[0].text)
	}
	if len(tokens) != 3 || tokens[0].kind != tokenWord || tokens[1].kind != tokenRedirect ||
		tokens[2].kind != tokenWord {
		redirects := 0
		for _, t := range tokens {
			if t.kind == tokenRedirect {
				redirects++
			}
		}
		switch {
		case redirects == 0:
			return cmd, p.errorAt(cmd.Line, "%s; output to stdout is not supported", form)
		case redirects > 1:
			return cmd, p.errorAt(cmd.Line, "%s; more than one redirection", form)
		case len(tokens) > 0 && tokens[len(tokens)-1].kind == tokenRedirect:
			return cmd, p.errorAt(cmd.Line, "%s; the redirection has no target path", form)
		}
		return cmd, p.errorAt(cmd.Line, "%s", form)
	}
	value, reason := parseInteger(tokens[0].text)
	if reason != "" {
		return cmd, p.errorAt(cmd.Line, "%s", reason)
	}
	kind, module, reason := parseSysfsPath(tokens[2].text)
	if reason != "" {
		return cmd, p.errorAt(cmd.Line, "%s", reason)
	}
	cmd.Kind = kind
	cmd.Module = module
	cmd.Value = value
	return cmd, nil
}

const (
	livepatchSysfsDir = "/sys/kernel/livepatch/"
	moduleSysfsDir    = "/sys/module/"
)

// parseSysfsPath maps a written path to the kind of write and the patch or
// module name in it.
func parseSysfsPath(path string) (Kind, string, string) {
	supported := "supported paths are /sys/kernel/livepatch/NAME/enabled, /sys/kernel/livepatch/NAME/force and /sys/module/NAME/parameters/pre_patch_ret"
	if rest, ok := strings.CutPrefix(path, livepatchSysfsDir); ok {
		parts := strings.Split(rest, "/")
		if len(parts) != 2 {
			return 0, "", fmt.Sprintf("unsupported path %q; %s", path, supported)
		}
		if reason := checkModuleName(parts[0]); reason != "" {
			return 0, "", reason
		}
		switch parts[1] {
		case "enabled":
			return KindWriteEnabled, parts[0], ""
		case "force":
			return KindWriteForce, parts[0], ""
		case "transition":
			return 0, "", "the transition attribute is read-only"
		}
		return 0, "", fmt.Sprintf("unsupported livepatch attribute %q; %s", parts[1], supported)
	}
	if rest, ok := strings.CutPrefix(path, moduleSysfsDir); ok {
		parts := strings.Split(rest, "/")
		if len(parts) != 3 || parts[1] != "parameters" || parts[2] != "pre_patch_ret" {
			return 0, "", fmt.Sprintf("unsupported path %q; %s", path, supported)
		}
		if reason := checkModuleName(parts[0]); reason != "" {
			return 0, "", reason
		}
		return KindWritePrePatchRet, parts[0], ""
	}
	return 0, "", fmt.Sprintf("unsupported path %q; %s", path, supported)
}

// parseLoad reads MOD [NAME=VALUE ...] of the load helpers, modprobe and
// insmod.
func parseLoad(cmd *Command, name string, args []string) string {
	if len(args) == 0 {
		return name + " needs a module name"
	}
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") {
			return fmt.Sprintf("%s options such as %q are not supported", name, arg)
		}
	}
	if reason := checkModuleName(args[0]); reason != "" {
		return reason
	}
	cmd.Module = args[0]
	for _, arg := range args[1:] {
		paramName, value, ok := strings.Cut(arg, "=")
		if !ok || !isName(paramName) {
			return fmt.Sprintf("invalid module parameter %q; expected NAME=VALUE", arg)
		}
		if value == "" {
			return fmt.Sprintf("module parameter %q has no value", arg)
		}
		cmd.Params = append(cmd.Params, Param{Name: paramName, Value: value})
	}
	return ""
}

// parseModuleOnly reads the single module name of unload_mod, unload_lp,
// disable_lp and rmmod.
func parseModuleOnly(cmd *Command, name string, args []string) string {
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") {
			return fmt.Sprintf("%s options such as %q are not supported", name, arg)
		}
	}
	if len(args) != 1 {
		return fmt.Sprintf("%s takes one module name, got %d arguments", name, len(args))
	}
	if reason := checkModuleName(args[0]); reason != "" {
		return reason
	}
	cmd.Module = args[0]
	return ""
}

// checkModuleName accepts the names that the kernel shows under /sys/module:
// letters, digits and '_' (modprobe turns '-' into '_', replay does not).
func checkModuleName(name string) string {
	if name == "" {
		return "empty module name"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return fmt.Sprintf("invalid module name %q; use only letters, digits and '_'", name)
		}
	}
	return ""
}

func isInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func parseInteger(s string) (int, string) {
	if !isInteger(s) {
		return 0, fmt.Sprintf("value %q is not an integer", s)
	}
	value, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Sprintf("integer %s is out of range", s)
	}
	return value, ""
}

// parseSeconds accepts the non-negative decimal numbers that sleep takes,
// such as 5, 0.5 or .1, without a unit suffix.
func parseSeconds(s string) (float64, string) {
	whole, fraction, _ := strings.Cut(s, ".")
	valid := whole != "" || fraction != ""
	for _, part := range []string{whole, fraction} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				valid = false
			}
		}
	}
	if !valid {
		return 0, fmt.Sprintf("sleep duration %q is not a non-negative number of seconds", s)
	}
	seconds, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Sprintf("sleep duration %s is out of range", s)
	}
	return seconds, ""
}

// parseCheckResult splits the expected log into lines.
func parseCheckResult(cmd *Command, args []string) string {
	if len(args) != 1 {
		return fmt.Sprintf("check_result takes one quoted expected log, got %d arguments", len(args))
	}
	text := args[0]
	if strings.HasSuffix(text, "\n") {
		return "the expected log ends with a newline, which check_result can never match because bash strips trailing newlines from the dmesg output"
	}
	if text != "" {
		cmd.Expected = strings.Split(text, "\n")
	}
	return ""
}
