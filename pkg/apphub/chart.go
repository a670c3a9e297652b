package apphub

import "errors"

// chartDocuments renders a Helm chart; see the Helm SDK rendering below.
func (p Package) chartDocuments(root string, o RenderOptions) ([]document, []string, error) {
	return nil, nil, errors.New("Helm chart rendering is not available in this build yet")
}
